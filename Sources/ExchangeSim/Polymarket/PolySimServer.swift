import Foundation
import Logging
import Markets
import NIOCore
import NIOWebSocket
import PolymarketWire

/// The Polymarket simulator's listening socket on 127.0.0.1: the CLOB REST API at the root, Gamma under
/// `/gamma`, the market and user channels at `/ws/market` and `/ws/user`.
public final class PolySimServer: Sendable {
    public let exchange: PolySimExchange
    public let faults: SimFaults
    public let webSocketFaults: PolySimWSFaults
    public let port: Int
    /// When each `POST /order` had fully arrived, by the order's salt (off unless a benchmark starts it).
    public let arrivals: SimArrivals
    private let listener: SimListener
    private let housekeeping: Task<Void, Never>

    /// `POLY_CLOB_URL`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    /// `POLY_WS_URL`: the channels are `<this>/market` and `<this>/user`.
    public var webSocketURL: URL { URL(string: "ws://127.0.0.1:\(port)/ws")! }
    /// `POLY_GAMMA_URL`.
    public var gammaURL: URL { URL(string: "http://127.0.0.1:\(port)/gamma")! }

    /// Route names a `--fault` can target (`POST /order`, `GET /data/trades`, …).
    public static var routeNames: [String] { PolySimRoutes.names }

    private init(exchange: PolySimExchange, faults: SimFaults, webSocketFaults: PolySimWSFaults, arrivals: SimArrivals, listener: SimListener,
                 housekeeping: Task<Void, Never>) {
        self.arrivals = arrivals
        self.exchange = exchange
        self.faults = faults
        self.webSocketFaults = webSocketFaults
        self.listener = listener
        self.housekeeping = housekeeping
        port = listener.port
    }

    /// Binds 127.0.0.1 (`port` 0 picks a free port) and starts serving.
    public static func start(exchange: PolySimExchange, faults: SimFaults = SimFaults(), webSocketFaults: PolySimWSFaults = PolySimWSFaults(),
                             port: Int = 0, rateLimits: Bool = true, logger: Logger = Logger(label: "sim.polymarket")) async throws -> PolySimServer {
        let router = PolySimRouter(exchange: exchange, faults: faults, rateLimits: rateLimits)
        let arrivals = SimArrivals.polymarket()
        let listener = try await SimListener.start(
            port: port, arrivals: arrivals, logger: logger,
            upgrade: { head in
                switch SimListener.path(head) {
                case "/ws/market": .accept(context: PolySimWSSession.Channel.market.rawValue)
                case "/ws/user": .accept(context: PolySimWSSession.Channel.user.rawValue)
                default: .refuse(status: 404, body: PolySimRouter.error(404, "no WebSocket endpoint at \(SimListener.path(head))").body)
                }
            },
            http: { await router.handle($0) },
            webSocket: { connection, context in
                await serveWebSocket(connection, channel: PolySimWSSession.Channel(rawValue: context) ?? .market, exchange: exchange,
                                     faults: webSocketFaults, logger: logger)
            })
        // The dead-man switch: keys whose heartbeats stopped lose their open orders.
        let housekeeping = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await exchange.expireHeartbeats()
            }
        }
        return PolySimServer(exchange: exchange, faults: faults, webSocketFaults: webSocketFaults, arrivals: arrivals, listener: listener,
                             housekeeping: housekeeping)
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        housekeeping.cancel()
        await listener.stop()
    }

    private static func serveWebSocket(_ connection: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, channel: PolySimWSSession.Channel,
                                       exchange: PolySimExchange, faults: PolySimWSFaults, logger: Logger) async {
        let nioChannel = connection.channel
        try? await connection.executeThenClose { inbound, outbound in
            let (outbox, outboxWriter) = AsyncStream<SimWSOutgoing>.makeStream()
            let session = PolySimWSSession(exchange: exchange, channel: channel, faults: faults, outbox: outboxWriter, connection: nioChannel)
            let (inputs, continuation) = AsyncStream<PolySimWSSession.Input>.makeStream()
            let token = await exchange.addListener { continuation.yield(.event($0)) }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await SimWSOutgoing.write(outbox, to: outbound) }
                group.addTask { for await input in inputs { await session.handle(input) } }
                do {
                    reading: for try await frame in inbound {
                        switch frame.opcode {
                        case .text: continuation.yield(.text(String(buffer: frame.unmaskedData)))
                        case .ping: await session.sendFrame(.pong, Data(frame.unmaskedData.readableBytesView))
                        case .connectionClose:
                            await session.sendFrame(.connectionClose, Data(frame.unmaskedData.readableBytesView))
                            break reading
                        default: continue
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
