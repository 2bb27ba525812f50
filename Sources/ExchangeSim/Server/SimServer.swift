import Foundation
import KalshiWire
import Logging
import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// What an accepted connection turned into.
enum SimConnection: Sendable {
    case http(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>)
    case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, account: String)
}

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
    private let channel: any Channel
    private let task: Task<Void, Never>
    private let connections: OpenConnections

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)\(SimRouter.prefix)")! }
    public var webSocketURL: URL { URL(string: "ws://127.0.0.1:\(port)/trade-api/ws/v2")! }

    private init(exchange: SimExchange, keys: SimKeyRegistry, faults: SimFaults, webSocketFaults: SimWSFaults,
                 port: Int, arrivals: SimArrivals, channel: any Channel, task: Task<Void, Never>, connections: OpenConnections) {
        self.connections = connections
        self.arrivals = arrivals
        self.exchange = exchange
        self.keys = keys
        self.faults = faults
        self.webSocketFaults = webSocketFaults
        self.port = port
        self.channel = channel
        self.task = task
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
        let authenticate: @Sendable (HTTPRequestHead) -> String? = { head in
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            guard path == SimRouter.webSocketPath else { return nil }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            guard case let .success(account?) = keys.authenticate(headers: headers, method: "GET", path: path, nowMs: now()) else { return nil }
            return account
        }
        let connections = OpenConnections()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketServerUpgrader<SimConnection>(
                        maxFrameSize: 1 << 24,
                        shouldUpgrade: { channel, head in
                            if authenticate(head) != nil { return channel.eventLoop.makeSucceededFuture(HTTPHeaders()) }
                            // Refused: answer here. Letting NIO fall back to HTTP loses the request
                            // (swift-nio issue #2632) and the client would wait forever.
                            return refuseUpgrade(channel: channel, head: head, keys: keys, now: now)
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                let ws = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                                return SimConnection.webSocket(ws, account: authenticate(head) ?? "")
                            }
                        })
                    let configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: .init(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(SimArrivals.Stamp(arrivals))
                                return SimConnection.http(try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel))
                            }
                        }))
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let task = Task {
            do {
                try await server.executeThenClose { connections in
                    await withDiscardingTaskGroup { group in
                        do {
                            for try await upgrade in connections {
                                group.addTask {
                                    switch try? await upgrade.get() {
                                    case let .http(connection):
                                        await serve(connection, router: router, logger: logger)
                                    case let .webSocket(connection, account):
                                        await serveWebSocket(connection, account: account, exchange: exchange, faults: webSocketFaults,
                                                             pingInterval: pingInterval, logger: logger)
                                    case nil:
                                        break
                                    }
                                }
                            }
                        } catch {
                            logger.debug("accept loop ended: \(error)")
                        }
                        group.cancelAll()
                    }
                }
            } catch {
                logger.debug("server closed: \(error)")
            }
        }
        return SimServer(exchange: exchange, keys: keys, faults: faults, webSocketFaults: webSocketFaults,
                         port: boundPort, arrivals: arrivals, channel: server.channel, task: task, connections: connections)
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        try? await channel.close()
        // Including connections that never sent a request (still waiting to learn HTTP or WebSocket).
        connections.closeAll()
        task.cancel()
        await task.value
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, router: SimRouter,
                              logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case let .head(requestHead):
                        head = requestHead
                        body.clear()
                    case var .body(chunk):
                        guard body.readableBytes + chunk.readableBytes <= 8 << 20 else { return }
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let requestHead = head else { continue }
                        let request = makeRequest(requestHead, body: body)
                        switch await router.handle(request) {
                        case .drop:
                            return  // closes the connection without a response
                        case let .respond(status, data):
                            var headers = HTTPHeaders()
                            headers.add(name: "Content-Type", value: "application/json")
                            headers.add(name: "Content-Length", value: String(data.count))
                            let keepAlive = requestHead.isKeepAlive
                            headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                            let responseHead = HTTPResponseHead(version: requestHead.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
                            try await outbound.write(.head(responseHead))
                            if !data.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: data)))) }
                            try await outbound.write(.end(nil))
                            if !keepAlive { return }
                        }
                        head = nil
                    }
                }
            }
        } catch {
            logger.trace("connection ended: \(error)")
        }
    }

    /// Writes Kalshi's 401 (or 404 for another path) for a refused WebSocket upgrade, then closes.
    private static func refuseUpgrade(channel: any Channel, head: HTTPRequestHead, keys: SimKeyRegistry,
                                      now: @Sendable () -> Int64) -> EventLoopFuture<HTTPHeaders?> {
        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        let error: SimError
        if path != SimRouter.webSocketPath {
            error = SimError(404, "not_found", "no WebSocket endpoint at \(path)")
        } else if case let .failure(refusal) = keys.authenticate(headers: headers, method: "GET", path: path, nowMs: now()) {
            error = refusal
        } else {
            error = SimError(401, "unauthorized", "authentication required", details: "missing KALSHI-ACCESS-* headers")
        }
        let body = (try? KalshiJSON.encoder().encode(error.body)) ?? Data()
        var responseHeaders = HTTPHeaders()
        responseHeaders.add(name: "Content-Type", value: "application/json")
        responseHeaders.add(name: "Content-Length", value: String(body.count))
        responseHeaders.add(name: "Connection", value: "close")
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: error.status), headers: responseHeaders)
        channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        return channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            .flatMap { channel.close() }
            .map { nil }
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
                group.addTask { await SimWSSession.write(outbox, to: outbound) }
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

    private static func makeRequest(_ head: HTTPRequestHead, body: ByteBuffer) -> SimHTTPRequest {
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? "/"
        var query: [(name: String, value: String)] = []
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") where !pair.isEmpty {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                query.append((name, value))
            }
        }
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        return SimHTTPRequest(method: head.method.rawValue, path: path, query: query, headers: headers, body: Data(body.readableBytesView))
    }
}

/// Every accepted connection until it closes, so `stop` can close them all.
final class OpenConnections: Sendable {
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        open.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in _ = self?.open.withLock { $0.removeValue(forKey: id) } }
    }

    func closeAll() {
        for channel in open.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }
}
