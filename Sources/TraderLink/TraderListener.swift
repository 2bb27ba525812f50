import Foundation
import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Traders connected to this controller, at most one per platform: a second trader for a platform already
/// served is refused (the first keeps its legs in flight; a trader that went away is removed when its
/// connection ends, after which its replacement is admitted).
public actor TraderRegistry {
    public struct Connected: Sendable, Hashable, Codable {
        public var platforms: [Platform]
        public var address: String
        /// When it authenticated (ISO 8601, UTC).
        public var since: String
        public var lastPong: String?
        public var legsInFlight: Int
    }

    private var traders: [UUID: Connected] = [:]

    public init() {}

    /// Admits an authenticated trader, or says which platform is already served and by whom.
    func admit(platforms: [Platform], address: String) -> Result<UUID, TraderFrameError> {
        for (_, trader) in traders {
            if let taken = platforms.first(where: trader.platforms.contains) {
                return .failure(TraderFrameError("a \(taken.rawValue) trader is already connected (from \(trader.address) since \(trader.since))"))
            }
        }
        let id = UUID()
        traders[id] = Connected(platforms: platforms, address: address, since: Date().ISO8601Format(), lastPong: nil, legsInFlight: 0)
        return .success(id)
    }

    func remove(_ id: UUID) { traders[id] = nil }

    func ponged(_ id: UUID) { traders[id]?.lastPong = Date().ISO8601Format() }

    /// Every connected trader, by address.
    public var connected: [Connected] { traders.values.sorted { $0.address < $1.address } }

    /// The platforms some connected trader serves.
    public var platforms: Set<Platform> { Set(traders.values.flatMap(\.platforms)) }
}

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
                             log: @escaping @Sendable (String) -> Void) async throws -> TraderListener {
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
        log("[TRADERS] listening for traders on ws://\(host):\(bound) (mutual HMAC handshake required)")
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
            let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(settings.handshakeTimeout.components.seconds * 1_000_000_000
                                                                              + settings.handshakeTimeout.components.attoseconds / 1_000_000_000)) {
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
                            switch await registry.admit(platforms: platforms, address: address) {
                            case let .failure(refusal):
                                log("[TRADERS] \(address): refused, \(refusal.description)")
                                await refuse(refusal.description)
                                break reading
                            case let .success(id):
                                admitted = id
                                try await send(.initialize(.init(platforms: platforms, dryRun: settings.dryRun)))
                                log("[TRADERS] \(platforms.map(\.rawValue).joined(separator: ",")) trader connected from \(address)"
                                    + (settings.dryRun ? " (dry run)" : ""))
                                let interval = settings.pingInterval
                                pinger = Task {
                                    while (try? await Task.sleep(for: interval)) != nil {
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
                    case let .error(error): log("[TRADERS] \(address): trader says \(error.message.escapingControlCharacters)")
                    default: continue  // legs are routed here once the engine uses remote traders
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
