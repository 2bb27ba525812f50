import Foundation
import Logging
import Markets
import Synchronization
import WSClient

/// The trader's side of the link: connects to the controller, proves it holds the secret after the
/// controller proved it (no leg is ever taken from a controller that did not), answers pings, and hands
/// every other message to `handle`, sending back what it returns.
public enum TraderConnector {
    /// How a session ended.
    public enum Ended: Sendable, Hashable {
        /// The handshake failed or the controller refused this trader.
        case refused(String)
        /// The connection closed or could not be made.
        case disconnected(String)
    }

    /// One connection: handshake, then messages until it closes. `onInit` runs once authenticated; each
    /// later message goes to `handle`, whose reply (if any) is sent back before the next is read.
    public static func session(url: String, secret: [UInt8], platforms: [Platform],
                               onInit: @escaping @Sendable (TraderMessage.Init) async -> Void,
                               handle: @escaping @Sendable (TraderMessage) async -> TraderMessage?) async -> Ended {
        await session(url: url, secret: secret, platforms: platforms, onInit: { initial, _ in await onInit(initial) }, receive: { message, link in
            if let reply = await handle(message) { try? await link.send(reply) }
        })
    }

    /// One connection, with the link to the controller handed to `onInit` and `receive` (which may answer
    /// later, from other tasks: a leg's result is sent when the leg ends, while pings go on being answered).
    public static func session(url: String, secret: [UInt8], platforms: [Platform], tls: TraderTLS? = nil,
                               onInit: @escaping @Sendable (TraderMessage.Init, ControllerLink) async -> Void,
                               receive: @escaping @Sendable (TraderMessage, ControllerLink) async -> Void) async -> Ended {
        var logger = Logger(label: "trader.link")
        logger.logLevel = .warning
        let outcome = OutcomeBox()
        do {
            var configuration = WebSocketClientConfiguration()
            configuration.maxFrameSize = TraderMessage.maxFrameBytes * 2
            let handler: WebSocketDataHandler<WebSocketClient.Context> = { inbound, outbound, _ in
                let link = ControllerLink(outbound)
                var handshake = TraderSideHandshake(secret: secret, platforms: platforms)
                try await outbound.write(.text(handshake.opening.frame))
                var authenticated = false
                for try await message in inbound.messages(maxSize: TraderMessage.maxFrameBytes * 2) {
                    guard case let .text(text) = message else { continue }
                    let parsed: TraderMessage
                    do throws(TraderFrameError) { parsed = try TraderMessage(frame: text) } catch {
                        if !authenticated {
                            outcome.set(.refused("the controller sent a malformed handshake frame (\(error.description))"))
                            return
                        }
                        try await outbound.write(.text(TraderMessage.error(.init(message: error.description)).frame))
                        continue
                    }
                    if !authenticated {
                        switch handshake.receive(parsed) {
                        case let .send(reply):
                            try await outbound.write(.text(reply.frame))
                        case let .authenticated(routed, dryRun):
                            authenticated = true
                            await onInit(.init(platforms: routed, dryRun: dryRun), link)
                        case let .refuse(reason):
                            outcome.set(.refused(reason))
                            try? await outbound.write(.text(TraderMessage.error(.init(message: "refused")).frame))
                            return
                        }
                        continue
                    }
                    switch parsed {
                    case let .ping(ping): try await outbound.write(.text(TraderMessage.pong(ping).frame))
                    case .pong: continue
                    default: await receive(parsed, link)
                    }
                }
            }
            _ = try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tls?.client, logger: logger, handler: handler)
            return outcome.value ?? .disconnected("closed by the controller")
        } catch {
            return outcome.value ?? .disconnected("\(error)")
        }
    }
}

/// The trader's side of an open connection: messages to the controller, from any task.
public struct ControllerLink: Sendable {
    private let outbound: WebSocketOutboundWriter
    init(_ outbound: WebSocketOutboundWriter) { self.outbound = outbound }
    public func send(_ message: TraderMessage) async throws { try await outbound.write(.text(message.frame)) }
    public func close() async throws { try await outbound.close(.normalClosure, reason: nil) }
}

/// How the session ended, set inside its handler (the first reason stands) and read after it returns.
private final class OutcomeBox: Sendable {
    private let ended = Mutex<TraderConnector.Ended?>(nil)
    var value: TraderConnector.Ended? { ended.withLock { $0 } }
    func set(_ reason: TraderConnector.Ended) { ended.withLock { if $0 == nil { $0 = reason } } }
}
