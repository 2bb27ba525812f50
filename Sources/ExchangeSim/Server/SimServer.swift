import Foundation
import KalshiWire
import Logging
import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// The simulator's listening socket on 127.0.0.1: Kalshi REST under `/trade-api/v2`.
///
/// Built on SwiftNIO's async channels so a fault can do what a real outage does: close a connection
/// after the order was applied without answering, or stall before answering.
public final class SimServer: Sendable {
    public let exchange: SimExchange
    public let keys: SimKeyRegistry
    public let faults: SimFaults
    /// One-shot faults for WebSocket sessions.
    public let webSocketFaults: SimWSFaults
    public let port: Int
    /// When orders arrived (benchmarks: signal in → order bytes at the venue).
    public let arrivals: SimArrivals
    private let listener: SimListener

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)\(SimRouter.prefix)")! }
    public var webSocketURL: URL { URL(string: "ws://127.0.0.1:\(port)/trade-api/ws/v2")! }

    private init(exchange: SimExchange, keys: SimKeyRegistry, faults: SimFaults, webSocketFaults: SimWSFaults,
                 arrivals: SimArrivals, listener: SimListener) {
        self.listener = listener
        port = listener.port
        self.arrivals = arrivals
        self.exchange = exchange
        self.keys = keys
        self.faults = faults
        self.webSocketFaults = webSocketFaults
    }

    /// Simulators started in this process from now on serve on the concurrency pool, not on threads of
    /// their own (for in-process benchmarks: see `SimListener.onConcurrencyPool`). Tests keep the default.
    public static func serveOnConcurrencyPool() { SimListener.onConcurrencyPool.store(true, ordering: .relaxed) }

    /// Benchmarks only: simulators started from now on serve on one thread pinned to `cpu` (the client
    /// measured keeps the other cores; a remote venue's work never runs on the client's machine at all).
    public static func serveOnPinnedThread(cpu: Int) {
        SimListener.pinned.withLock { $0 = MultiThreadedEventLoopGroup(pinnedCPUIDs: [cpu]) }
    }

    /// Binds 127.0.0.1 (`port` 0 picks a free port) and starts serving.
    public static func start(
        exchange: SimExchange, keys: SimKeyRegistry = SimKeyRegistry(), faults: SimFaults = SimFaults(),
        port: Int = 0, tier: KalshiRateTier = .basic, rateLimits: Bool = true, webSocketFaults: SimWSFaults = SimWSFaults(),
        pingInterval: Duration = .seconds(10), logger: Logger = Logger(label: "sim.http")
    ) async throws -> SimServer {
        let router = SimRouter(exchange: exchange, keys: keys, faults: faults, tier: tier, rateLimits: rateLimits)
        let arrivals = SimArrivals()
        let now = exchange.configuration.now
        let listener = try await SimListener.start(
            port: port, arrivals: arrivals, logger: logger,
            upgrade: { head in
                let path = SimListener.path(head)
                if path == SimRouter.webSocketPath,
                   case let .success(account?) = keys.authenticate(headers: SimListener.lowercasedHeaders(head), method: "GET", path: path, nowMs: now()) {
                    return .accept(context: account)
                }
                return refusal(head, keys: keys, now: now)
            },
            http: { await router.handle($0) },
            webSocket: { connection, account in
                await serveWebSocket(connection, account: account, exchange: exchange, faults: webSocketFaults, pingInterval: pingInterval, logger: logger)
            })
        return SimServer(exchange: exchange, keys: keys, faults: faults, webSocketFaults: webSocketFaults, arrivals: arrivals, listener: listener)
    }

    /// Stops listening and closes every connection.
    public func stop() async { await listener.stop() }

    /// Kalshi's 401 (or 404 for another path) for a refused WebSocket upgrade.
    private static func refusal(_ head: HTTPRequestHead, keys: SimKeyRegistry, now: @Sendable () -> Int64) -> SimUpgradeDecision {
        let path = SimListener.path(head)
        let error: SimError
        if path != SimRouter.webSocketPath {
            error = SimError(404, "not_found", "no WebSocket endpoint at \(path)")
        } else if case let .failure(refusal) = keys.authenticate(headers: SimListener.lowercasedHeaders(head), method: "GET", path: path, nowMs: now()) {
            error = refusal
        } else {
            error = SimError(401, "unauthorized", "authentication required", details: "missing KALSHI-ACCESS-* headers")
        }
        return .refuse(status: error.status, body: (try? KalshiJSON.encoder().encode(error.body)) ?? Data())
    }

    private static func serveWebSocket(
        _ connection: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, account: String, exchange: SimExchange, faults: SimWSFaults,
        pingInterval: Duration, logger: Logger
    ) async {
        let channel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            let (outbox, outboxWriter) = AsyncStream<SimWSSession.Outgoing>.makeStream()
            let session = SimWSSession(exchange: exchange, account: account, faults: faults, outbox: outboxWriter, channel: channel)
            let (events, continuation) = AsyncStream<SimEvent>.makeStream()
            let token = await exchange.addListener { continuation.yield($0) }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await SimWSOutgoing.write(outbox, to: outbound) }
                group.addTask { for await event in events { await session.handle(event) } }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: pingInterval)
                        if !Task.isCancelled { await session.ping() }
                    }
                }
                do {
                    reading: for try await frame in inbound {
                        switch frame.opcode {
                        case .text:
                            await session.handleText(String(buffer: frame.unmaskedData))
                        case .ping:
                            await session.sendFrame(.pong, Data(frame.unmaskedData.readableBytesView))
                        case .connectionClose:
                            await session.sendFrame(.connectionClose, Data(frame.unmaskedData.readableBytesView))
                            break reading
                        default:
                            continue
                        }
                    }
                } catch {
                    logger.trace("websocket ended: \(error)")
                }
                outboxWriter.finish()
                group.cancelAll()
            }
            continuation.finish()
            await exchange.removeListener(token)
        }
    }
}
