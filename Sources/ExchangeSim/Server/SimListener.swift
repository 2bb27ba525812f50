import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import VenueTransport

/// What the listener does with a WebSocket upgrade request.
enum SimUpgradeDecision: Sendable {
    /// Upgrade; `context` reaches the session (the authenticated account, or the channel path).
    case accept(context: String)
    /// Answer with this status and JSON body, then close.
    case refuse(status: Int, body: Data)
}

/// What an accepted connection turned into.
enum SimConnection: Sendable {
    case http(NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>)
    case webSocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, context: String)
}

/// A listening socket on 127.0.0.1 serving HTTP requests and WebSocket sessions, shared by both venues'
/// simulators: the venue supplies the request handler, the upgrade decision and the session.
///
/// Built on SwiftNIO's async channels so a fault can do what a real outage does: close a connection
/// after the request was applied without answering, or stall before answering.
struct SimListener: Sendable {
    typealias WebSocketSession = @Sendable (NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, String) async -> Void

    /// The simulators' own threads: each listener's sockets and the tasks serving them run on one event loop
    /// of this group (listeners spread over its loops), not on the concurrency pool. A test process runs
    /// hundreds of tests at once on a pool as wide as the machine (two threads here); a request to an
    /// in-process simulator then waited behind them at every hop (accept, read, handler, write), past the
    /// client's 10-s timeout now and then. One thread for every simulator of a test process was too few
    /// (debug builds, dozens of simulators at once). Nothing here blocks.
    static let threads = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

    /// In-process benchmarks serve on the concurrency pool instead (`SimServer.serveOnConcurrencyPool()`):
    /// a simulator thread of its own was one more runnable thread than the machine's two cores beside the
    /// client measured, and an arb's legs then left up to a millisecond apart (p90 of the send window 244 →
    /// 966 µs in `ArbLatency`).
    static let onConcurrencyPool = Atomic<Bool>(false)

    /// Benchmarks that pin the simulators to CPUs of their own (`SimServer.serveOnPinnedThread`).
    static let pinned = Mutex<MultiThreadedEventLoopGroup?>(nil)

    let port: Int
    private let channel: any Channel
    private let task: Task<Void, Never>
    private let connections: OpenConnections

    /// Binds 127.0.0.1 (`port` 0 picks a free port) and starts serving.
    static func start(
        port: Int, arrivals: SimArrivals?, logger: Logger,
        upgrade: @escaping @Sendable (HTTPRequestHead) -> SimUpgradeDecision,
        http: @escaping @Sendable (SimHTTPRequest) async -> SimReply,
        webSocket: @escaping WebSocketSession
    ) async throws -> SimListener {
        let connections = OpenConnections()
        let pinnedLoop = pinned.withLock { $0?.next() }
        let executor = pinnedLoop.map { LoopExecutor(loop: $0) }
            ?? (onConcurrencyPool.load(ordering: .relaxed) ? nil : LoopExecutor(loop: Self.threads.next()))
        let server = try await ServerBootstrap(group: executor?.loop ?? MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                connections.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketServerUpgrader<SimConnection>(
                        maxFrameSize: 1 << 24,
                        shouldUpgrade: { channel, head in
                            switch upgrade(head) {
                            case .accept: return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                            // Refused: answer here. Letting NIO fall back to HTTP loses the request
                            // (swift-nio issue #2632) and the client would wait forever.
                            case let .refuse(status, body): return refuse(channel: channel, head: head, status: status, body: body)
                            }
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                let ws = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
                                guard case let .accept(context) = upgrade(head) else { return SimConnection.webSocket(ws, context: "") }
                                return SimConnection.webSocket(ws, context: context)
                            }
                        })
                    let configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: .init(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                if let arrivals { try channel.pipeline.syncOperations.addHandler(SimArrivals.Stamp(arrivals)) }
                                return SimConnection.http(try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel))
                            }
                        }))
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        // Every task serving the listener's connections (and what they call) prefers its loop's thread.
        let serving: @Sendable () async -> Void = {
            do {
                try await server.executeThenClose { accepted in
                    await withDiscardingTaskGroup { group in
                        do {
                            for try await upgrade in accepted {
                                group.addTask {
                                    switch try? await upgrade.get() {
                                    case let .http(connection): await serve(connection, http: http, logger: logger)
                                    case let .webSocket(connection, context): await webSocket(connection, context)
                                    case nil: break
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
        let task = executor.map { Task(executorPreference: $0, operation: serving) } ?? Task(operation: serving)
        return SimListener(port: boundPort, channel: server.channel, task: task, connections: connections)
    }

    /// Stops listening and closes every connection.
    func stop() async {
        try? await channel.close()
        // Including connections that never sent a request (still waiting to learn HTTP or WebSocket).
        connections.closeAll()
        task.cancel()
        await task.value
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                              http: @Sendable (SimHTTPRequest) async -> SimReply, logger: Logger) async {
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
                        switch await http(makeRequest(requestHead, body: body)) {
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

    /// Writes the refusal of a WebSocket upgrade, then closes.
    private static func refuse(channel: any Channel, head: HTTPRequestHead, status: Int, body: Data) -> EventLoopFuture<HTTPHeaders?> {
        var responseHeaders = HTTPHeaders()
        responseHeaders.add(name: "Content-Type", value: "application/json")
        responseHeaders.add(name: "Content-Length", value: String(body.count))
        responseHeaders.add(name: "Connection", value: "close")
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: responseHeaders)
        channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        return channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            .flatMap { channel.close() }
            .map { nil }
    }

    static func makeRequest(_ head: HTTPRequestHead, body: ByteBuffer) -> SimHTTPRequest {
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
        return SimHTTPRequest(method: head.method.rawValue, path: path, query: query, headers: lowercasedHeaders(head), body: Data(body.readableBytesView))
    }

    static func lowercasedHeaders(_ head: HTTPRequestHead) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        return headers
    }

    static func path(_ head: HTTPRequestHead) -> String { String(head.uri.split(separator: "?", maxSplits: 1).first ?? "") }
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
