import Foundation
import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// The controller's listener for traders (`TRADER_LISTEN`): WebSocket on `host:port`, the mutual handshake
/// within `handshakeTimeout` before anything else, then pings; malformed frames are answered with an error
/// and counted, and the connection is dropped after `maxMalformed` of them.
public final class TraderListener: Sendable {
    public struct Settings: Sendable {
        public var handshakeTimeout: Duration = .seconds(5)
        public var pingInterval: Duration = .seconds(5)
        public var maxMalformed = 5
        public var dryRun = false
        public init() {}
    }

    public let port: Int
    private let channel: any Channel
    private let task: Task<Void, Never>

    private init(port: Int, channel: any Channel, task: Task<Void, Never>) {
        self.port = port
        self.channel = channel
        self.task = task
    }

    public static func start(host: String, port: Int, secret: [UInt8], registry: TraderRegistry, settings: Settings = Settings(),
                             tls: TraderServerTLS? = nil, log: @escaping @Sendable (String) -> Void) async throws -> TraderListener {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketServerUpgrader<NIOAsyncChannel<WebSocketFrame, WebSocketFrame>?>(
                        maxFrameSize: TraderMessage.maxFrameBytes * 2,
                        shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                            }
                        })
                    let configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: .init(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { channel.close(promise: nil); return nil }
                        }))
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context)) }
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        let task = Task<Void, Never> {
            try? await server.executeThenClose { accepted in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await upgrade in accepted {
                            group.addTask {
                                guard let connection = try? await upgrade.get() else { return }
                                await serve(connection, secret: secret, registry: registry, settings: settings, log: log)
                            }
                        }
                    } catch {}
                    group.cancelAll()
                }
            }
        }
        log("[TRADERS] listening for traders on \(tls == nil ? "ws" : "wss")://\(host):\(bound) (mutual HMAC handshake required)")
        return TraderListener(port: bound, channel: server.channel, task: task)
    }

    public func stop() async {
        try? await channel.close()
        task.cancel()
        await task.value
    }

    private static func serve(_ connection: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, secret: [UInt8], registry: TraderRegistry,
                              settings: Settings, log: @escaping @Sendable (String) -> Void) async {
        let channel = connection.channel
        let address = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
        try? await connection.executeThenClose { inbound, outbound in
            func send(_ message: TraderMessage) async throws {
                try await outbound.write(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: message.frame)))
            }
            /// The last word before closing: the error, then a WebSocket close (not a bare TCP close, which a
            /// client may see as a reset before it read the error).
            func refuse(_ message: String) async {
                try? await send(.error(.init(message: message)))
                var code = ByteBuffer()
                code.writeInteger(UInt16(1008))  // policy violation
                try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: code))
            }
            // No handshake within the timeout: the connection is closed.
            let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(settings.handshakeTimeout.wholeNanoseconds)) {
                log("[TRADERS] \(address): no handshake within \(settings.handshakeTimeout); closed")
                channel.close(promise: nil)
            }
            var handshake = ControllerHandshake(secret: secret)
            var admitted: UUID?
            var malformed = 0
            var pinger: Task<Void, Never>?
            defer {
                deadline.cancel()
                pinger?.cancel()
            }
            do {
                reading: for try await frame in inbound {
                    switch frame.opcode {
                    case .text: break
                    case .ping:
                        try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
                        continue
                    case .connectionClose: break reading
                    default: continue
                    }
                    let message: TraderMessage
                    do throws(TraderFrameError) { message = try TraderMessage(frame: String(buffer: frame.unmaskedData)) } catch {
                        malformed += 1
                        log("[TRADERS] \(address): malformed frame \(malformed) (\(error.description))")
                        guard admitted != nil, malformed < settings.maxMalformed else {
                            log("[TRADERS] \(address): dropped (\(admitted == nil ? "malformed handshake" : "\(malformed) malformed frames"))")
                            await refuse(error.description)
                            break reading
                        }
                        try await send(.error(.init(message: error.description)))
                        continue
                    }
                    guard let id = admitted else {
                        switch handshake.receive(message) {
                        case let .send(reply):
                            try await send(reply)
                        case let .authenticated(platforms, _):
                            deadline.cancel()
                            // Traders are admitted only for platforms they trade; `init` tells each what it will get.
                            let sender: @Sendable (TraderMessage) async throws -> Void = { message in
                                try await outbound.write(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: message.frame)))
                            }
                            switch await registry.admit(platforms: platforms, address: address, send: sender) {
                            case let .failure(refusal):
                                log("[TRADERS] \(address): refused, \(refusal.description)")
                                await refuse(refusal.description)
                                break reading
                            case let .success(id):
                                admitted = id
                                try await send(.initialize(.init(platforms: platforms, dryRun: settings.dryRun)))
                                // Only now may legs go to it: one written before its `init` would be refused.
                                await registry.activate(id)
                                log("[TRADERS] \(platforms.map(\.rawValue).joined(separator: ",")) trader connected from \(address)"
                                    + (settings.dryRun ? " (dry run)" : ""))
                                let interval = settings.pingInterval
                                let allowed = interval.wholeMilliseconds * 3
                                pinger = Task {
                                    while (try? await Task.sleep(for: interval)) != nil {
                                        // A trader that stopped answering pings is gone: its legs become ambiguous now,
                                        // not when TCP notices.
                                        if let silent = await registry.silence(id), silent > allowed {
                                            log("[TRADERS] trader from \(address) silent for \(silent) ms (3 pings); dropped")
                                            channel.close(promise: nil)
                                            return
                                        }
                                        let now = Int64(Date().timeIntervalSince1970 * 1_000)
                                        try? await outbound.write(WebSocketFrame(fin: true, opcode: .text,
                                                                                 data: ByteBuffer(string: TraderMessage.ping(.init(ts: now)).frame)))
                                    }
                                }
                            }
                        case let .refuse(reason):
                            log("[TRADERS] \(address): refused, \(reason)")
                            await refuse("refused")
                            break reading
                        }
                        continue
                    }
                    switch message {
                    case let .ping(ping): try await send(.pong(ping))
                    case .pong: await registry.ponged(id)
                    case let .legResult(result): await registry.received(id, result)
                    case let .balance(balance): await registry.reported(id, balance)
                    case let .shutdown(bye):
                        await registry.retire(id)
                        log("[TRADERS] trader from \(address) is shutting down (\(bye.reason.escapingControlCharacters)); it cancelled \(bye.cancelled) resting order(s)")
                    case let .error(error): log("[TRADERS] \(address): trader says \(error.message.escapingControlCharacters)")
                    case .hello, .challenge, .auth, .initialize, .executeLeg, .legStatus:
                        malformed += 1
                        log("[TRADERS] \(address): unexpected \(message.type) from a trader (\(malformed))")
                        guard malformed < settings.maxMalformed else {
                            await refuse("\(malformed) unexpected frames")
                            break reading
                        }
                        try await send(.error(.init(message: "unexpected \(message.type) from a trader")))
                    }
                }
            } catch {}
            if let id = admitted {
                await registry.remove(id)
                log("[TRADERS] trader from \(address) disconnected")
            } else {
                log("[TRADERS] \(address): closed before authenticating")
            }
        }
    }
}
