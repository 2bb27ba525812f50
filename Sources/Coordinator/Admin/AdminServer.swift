import Foundation
import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VenueTransport

/// One request to the admin API.
public struct AdminRequest: Sendable {
    public var method: String
    public var path: String
    /// The decoded query parameters (`?a=1&b=2`); the last of a repeated name wins.
    public var query: [String: String] = [:]
    /// Lower-cased header names.
    public var headers: [String: String]
    public var body: Data
}

/// One response of the admin API.
public struct AdminResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data
    /// Further headers (`Set-Cookie`, `Location`, security headers).
    public var headers: [(String, String)] = []

    public init(status: Int, contentType: String, body: Data, headers: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }

    public static func html(_ status: Int, _ text: String, headers: [(String, String)] = []) -> AdminResponse {
        AdminResponse(status: status, contentType: "text/html; charset=utf-8", body: Data(text.utf8), headers: headers)
    }

    /// 303 See Other to `location`.
    public static func redirect(_ location: String, headers: [(String, String)] = []) -> AdminResponse {
        AdminResponse(status: 303, contentType: "text/plain", body: Data(), headers: [("Location", location), ("Cache-Control", "no-store")] + headers)
    }

    public static func json(_ status: Int, _ value: some Encodable) -> AdminResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return AdminResponse(status: status, contentType: "application/json", body: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    public static func error(_ status: Int, _ message: String) -> AdminResponse { json(status, ["error": message]) }
}

/// Limits that keep the admin server up under abuse (slow or idle clients, floods, huge bodies).
public struct AdminServerLimits: Sendable {
    /// A request's head and body must arrive within this of the connection opening (or of the previous
    /// response): a client that trickles bytes is cut off.
    public var requestTimeout: Duration = .seconds(10)
    /// A kept-alive connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(30)
    /// Connections open at once; more are closed on arrival.
    public var maxConnections = 64
    /// Larger bodies are answered 413 and the connection closed.
    public var maxBodyBytes = 4 << 20
    public init() {}
}

/// A small HTTP/1.1 server on 127.0.0.1 for the admin API (SwiftNIO async channels).
public final class AdminServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let task: Task<Void, Never>
    private let open: ConnectionCount
    /// Requests being handled (read whole, not answered yet).
    private let handling: ConnectionCount

    private init(port: Int, channel: any Channel, task: Task<Void, Never>, open: ConnectionCount, handling: ConnectionCount) {
        self.port = port
        self.channel = channel
        self.task = task
        self.open = open
        self.handling = handling
    }

    /// Connections open now.
    public var openConnections: Int { open.value.withLock { $0 } }

    /// The admin server's own thread: its sockets and the tasks serving them (and what they call) run on
    /// this event loop, so a request (a `halt`, `status`) is read and answered while the concurrency pool is
    /// busy. A test process's pool, busy with hundreds of tests, answered TS-63's request seconds late.
    static let executor = LoopExecutor(ownThread: ())

    /// Binds `127.0.0.1:port` (0 picks a free port) and serves `handler`.
    public static func start(port: Int, limits: AdminServerLimits = AdminServerLimits(),
                             handler: @escaping @Sendable (AdminRequest) async -> AdminResponse) async throws -> AdminServer {
        let open = ConnectionCount(), handling = ConnectionCount()
        let server = try await ServerBootstrap(group: Self.executor.loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let admitted = open.value.withLock { count -> Bool in
                        guard count < limits.maxConnections else { return false }
                        count += 1
                        return true
                    }
                    if admitted {
                        channel.closeFuture.whenComplete { _ in open.value.withLock { $0 -= 1 } }
                    } else {
                        channel.close(promise: nil)
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(AdminConnectionGuard(limits: limits))
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        let task = Task<Void, Never>(executorPreference: Self.executor) {
            try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await serve(connection, handling, handler) }
                        }
                    } catch {}
                    group.cancelAll()
                }
            }
        }
        return AdminServer(port: bound, channel: server.channel, task: task, open: open, handling: handling)
    }

    /// Stops serving. Requests being handled are answered first (a manual order whose end the shutdown
    /// brought about, a `halt`), for up to `grace`; then the connections are closed and their handlers
    /// cancelled, and a handler that does not end within another `grace` is left behind (the process is
    /// stopping: a shutdown never waits on one request).
    public func stop(grace: Duration = .seconds(5)) async {
        await Self.untilZero(handling, for: grace)
        try? await channel.close()
        task.cancel()
        await Self.untilZero(open, for: grace)
    }

    private static func untilZero(_ count: ConnectionCount, for grace: Duration) async {
        let deadline = ContinuousClock.now + grace
        while count.value.withLock({ $0 }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, _ handling: ConnectionCount,
                              _ handler: @Sendable (AdminRequest) async -> AdminResponse) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case let .head(requestHead):
                    head = requestHead
                    body.clear()
                case var .body(chunk):
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { continue }
                    var headers: [String: String] = [:]
                    for (name, value) in requestHead.headers { headers[name.lowercased()] = value }
                    let parts = requestHead.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
                    let path = parts.first.map(String.init) ?? "/"
                    let query = parts.count > 1 ? FormFields.decode(String(parts[1])) : [:]
                    handling.value.withLock { $0 += 1 }
                    defer { handling.value.withLock { $0 -= 1 } }
                    let response = await handler(AdminRequest(method: requestHead.method.rawValue, path: path, query: query, headers: headers,
                                                              body: Data(body.readableBytesView)))
                    var responseHeaders = HTTPHeaders()
                    responseHeaders.add(name: "Content-Type", value: response.contentType)
                    responseHeaders.add(name: "Content-Length", value: String(response.body.count))
                    responseHeaders.add(name: "Connection", value: requestHead.isKeepAlive ? "keep-alive" : "close")
                    for (name, value) in response.headers { responseHeaders.add(name: name, value: value) }
                    try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: HTTPResponseStatus(statusCode: response.status),
                                                                    headers: responseHeaders)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                    if !requestHead.isKeepAlive { return }
                    head = nil
                }
            }
        }
    }
}

/// `application/x-www-form-urlencoded` fields (a query string or a form body).
enum FormFields {
    static func decode(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            guard let name = halves.first else { continue }
            fields[unescape(name)] = halves.count > 1 ? unescape(halves[1]) : ""
        }
        return fields
    }
}

/// Connections open now (shared by the accept path and each connection's close).
final class ConnectionCount: Sendable {
    let value = Mutex(0)
}

/// Per connection: closes it when a request does not arrive whole within the request timeout or the
/// connection idles past the idle timeout, and answers a body over the limit with 413 (then closes)
/// instead of reading it.
final class AdminConnectionGuard: ChannelDuplexHandler, @unchecked Sendable {
    // @unchecked: NIO calls a handler only on its channel's event loop; nothing here is touched elsewhere.
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: AdminServerLimits
    private var deadline: Scheduled<Void>?
    private var bodyBytes = 0
    private var refusing = false

    init(limits: AdminServerLimits) { self.limits = limits }

    private static func amount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.wholeNanoseconds)
    }

    private func arm(_ context: ChannelHandlerContext, _ duration: Duration) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: Self.amount(duration)) { channel.close(promise: nil) }
    }

    func handlerAdded(context: ChannelHandlerContext) { arm(context, limits.requestTimeout) }

    func handlerRemoved(context: ChannelHandlerContext) { deadline?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case let .head(head):
            bodyBytes = 0
            arm(context, limits.requestTimeout)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limits.maxBodyBytes {
                return refuse(context, head)
            }
        case let .body(chunk):
            bodyBytes += chunk.readableBytes
            if bodyBytes > limits.maxBodyBytes { return refuse(context, nil) }
        case .end:
            deadline?.cancel()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context, limits.idleTimeout) }
        context.write(data, promise: promise)
    }

    /// 413 and close: the rest of the body is never read.
    private func refuse(_ context: ChannelHandlerContext, _ head: HTTPRequestHead?) {
        refusing = true
        deadline?.cancel()
        let body = ByteBuffer(string: "{\"error\":\"request body larger than \(limits.maxBodyBytes) bytes\"}")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head?.version ?? .http1_1, status: .payloadTooLarge, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
