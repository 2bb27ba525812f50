import Foundation
import KalshiWire
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The simulator's listening socket on 127.0.0.1: Kalshi REST under `/trade-api/v2`.
///
/// Built on SwiftNIO's async channels so a fault can do what a real outage does: close a connection
/// after the order was applied without answering, or stall before answering.
public final class SimServer: Sendable {
    public let exchange: SimExchange
    public let keys: SimKeyRegistry
    public let faults: SimFaults
    public let port: Int
    private let channel: any Channel
    private let task: Task<Void, Never>

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)\(SimRouter.prefix)")! }
    public var webSocketURL: URL { URL(string: "ws://127.0.0.1:\(port)/trade-api/ws/v2")! }

    private init(exchange: SimExchange, keys: SimKeyRegistry, faults: SimFaults, port: Int, channel: any Channel, task: Task<Void, Never>) {
        self.exchange = exchange
        self.keys = keys
        self.faults = faults
        self.port = port
        self.channel = channel
        self.task = task
    }

    /// Binds 127.0.0.1 (`port` 0 picks a free port) and starts serving.
    public static func start(
        exchange: SimExchange, keys: SimKeyRegistry = SimKeyRegistry(), faults: SimFaults = SimFaults(),
        port: Int = 0, tier: KalshiRateTier = .basic, rateLimits: Bool = true, logger: Logger = Logger(label: "sim.http")
    ) async throws -> SimServer {
        let router = SimRouter(exchange: exchange, keys: keys, faults: faults, tier: tier, rateLimits: rateLimits)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let task = Task {
            do {
                try await server.executeThenClose { connections in
                    await withDiscardingTaskGroup { group in
                        do {
                            for try await connection in connections {
                                group.addTask { await serve(connection, router: router, logger: logger) }
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
        return SimServer(exchange: exchange, keys: keys, faults: faults, port: boundPort, channel: server.channel, task: task)
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        try? await channel.close()
        task.cancel()
        await task.value
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, router: SimRouter, logger: Logger) async {
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
