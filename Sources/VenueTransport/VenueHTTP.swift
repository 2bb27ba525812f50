import AsyncHTTPClient
import Foundation
import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP side both venues' transports share: one venue host's pooled keep-alive client, the warm
/// order lanes for writes and the read lanes for reads (the pool when every lane of the kind is busy).
/// It sends bytes and says how a failed exchange bears on the request's fate; signing, rate limits and
/// the venue's error bodies stay with each venue's transport.
public final class VenueHTTP: Sendable {
    /// Why an exchange got no HTTP answer.
    public enum Failure: Error, Sendable {
        /// Provably never left the process (safe to send again).
        case notSent(reason: String)
        /// May have reached the venue: a write's outcome is unknown, a read simply failed.
        case lost(reason: String)
    }

    /// Connections of the pool.
    public static let poolConnections = 8
    /// Order lanes per venue host: as many orders (on distinct markets) in flight at once as the
    /// lanes before one goes through the pool (~150 µs more client CPU per request there).
    public static let orderLanes = 8
    /// Read lanes per venue host: a read on a lane costs ~100 µs of client CPU less than through the
    /// pool (no request bag, pool bookkeeping or redirect handling; written and answered on one loop).
    public static let readLanes = 2
    /// The largest answer body accepted (a larger one fails the request).
    static let maxBodyBytes = 64 << 20

    /// Path of the base URL (`/trade-api/v2`), the prefix of every request path.
    public let basePath: String
    /// Writes go through the first of these warm connections that is free.
    public let lanes: [OrderLane]
    /// Reads go through the first of these that is free (never an order's lane: a long read must not
    /// hold one).
    public let readLanes: [OrderLane]
    private var allLanes: [OrderLane] { lanes + readLanes }
    private let client: HTTPClient
    /// `scheme://host:port` of the base URL.
    private let origin: String
    /// `host[:port]` for the Host header.
    private let hostHeader: String
    private let requestTimeout: Duration
    /// The event loop of every pooled request (another than the order lanes' when there are two).
    private let readLoop: any EventLoop

    /// `warn` hears why the order lanes could not be made (writes then use the pool).
    public init(baseURL url: URL, orderLane: Bool, connectTimeout: Duration, requestTimeout: Duration, warn: (String) -> Void) {
        var path = url.path
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        origin = "\(url.scheme ?? "https")://\(url.host ?? "")" + (url.port.map { ":\($0)" } ?? "")
        hostHeader = (url.host ?? "") + (url.port.map { ":\($0)" } ?? "")
        self.requestTimeout = requestTimeout
        let useTLS = url.scheme?.lowercased() != "http"
        var all: [OrderLane] = []
        do {
            all = try (0..<(orderLane ? Self.orderLanes + Self.readLanes : 0)).map { _ in
                try OrderLane(host: url.host ?? "", port: url.port ?? (useTLS ? 443 : 80), useTLS: useTLS,
                              connectTimeout: connectTimeout, maxBodyBytes: Self.maxBodyBytes)
            }
        } catch {
            warn("order lanes unavailable (\(error)); requests use the pooled client")
        }
        lanes = Array(all.prefix(Self.orderLanes))
        readLanes = Array(all.dropFirst(Self.orderLanes))
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .init(connectTimeout), read: .init(requestTimeout))
        http.connectionPool.idleTimeout = .seconds(60)
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.poolConnections
        http.connectionPool.retryConnectionEstablishment = false
        http.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        readLoop = client.eventLoopGroup.makeIterator().first { $0 !== OrderLane.sharedLoop } ?? OrderLane.sharedLoop
    }

    /// A client dropped without `shutdown()` still releases its connections: AHC keeps itself alive while
    /// shutting down, so starting the shutdown here is safe (a second shutdown is a no-op error).
    deinit {
        for lane in allLanes { lane.close() }
        client.shutdown().whenComplete { _ in }
    }

    /// The lanes' event loop as a task executor (`LoopExecutor`), when there is a lane. A caller that
    /// prefers it (`withTaskExecutorPreference`) sends, writes and is resumed by the answer on one
    /// thread (a pooled read started there stays there): the least CPU per request. The order path does
    /// not: the first hop onto that thread costs an order more latency than the hops it saves (see
    /// `ExecutionService.launch`).
    public var loopExecutor: (any TaskExecutor)? { lanes.isEmpty ? nil : LoopExecutor.orders }

    /// Requests that can be in flight at once: the pool's connections plus the lanes.
    public var connections: Int { Self.poolConnections + allLanes.count }

    /// Opens the lanes now (the first orders and reads then find them open).
    public func warmUpLanes() async {
        await withTaskGroup(of: Void.self) { group in
            for lane in allLanes { group.addTask { await lane.warmUp() } }
        }
    }

    public func shutdown() async throws {
        for lane in allLanes { lane.close() }
        try await client.shutdown()
    }

    /// Sends `method target` (a path with its query, below the origin) and returns the status and body.
    /// Writes go through the first free order lane, reads through the first free read lane; the pool
    /// takes what finds every lane of its kind busy. (The read lanes were out for two days: the full
    /// suite saw requests to the in-process simulator unanswered for 10 s, since traced to the simulator
    /// queued behind the test process's concurrency pool; it serves on threads of its own now.)
    public func exchange(method: String, target: String, headers: HTTPHeaders, body: ByteBuffer?, isWrite: Bool) async throws(Failure) -> (Int, Data) {
        let lanes = isWrite ? lanes : readLanes
        if !lanes.isEmpty {
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: headers)
            head.headers.add(name: "Host", value: hostHeader)
            head.headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
            for lane in lanes {
                do {
                    if let answer = try await lane.send(head, body: body, timeout: requestTimeout, gated: isWrite) {
                        return (answer.status, Data(answer.body.readableBytesView))
                    }
                } catch {
                    switch error {
                    case let .notSent(reason): throw .notSent(reason: "transport: \(reason)")
                    case let .lost(reason): throw .lost(reason: "transport: \(reason)")
                    }
                }
            }
            // Every lane is busy: the pool takes it.
        }
        // A write of a group going through the pool: the others do not wait for it.
        if isWrite { LaunchGate.current?.withdraw() }
        do {
            let request = try HTTPClient.Request(url: origin + target, method: HTTPMethod(rawValue: method), headers: headers,
                                                 body: body.map { .byteBuffer($0) })
            let response = try await pooledExchange(request)
            return (Int(response.status.code), response.body.map { Data($0.readableBytesView) } ?? Data())
        } catch {
            let reason = TransportFailure.describe(error)
            throw TransportFailure.failedBeforeSending(error) ? .notSent(reason: reason) : .lost(reason: reason)
        }
    }

    /// One request through the pool in a single hop: the request is started on `readLoop`, where the
    /// pool, the request's state, its timer and the connection all live, so none of that crosses threads,
    /// and the whole answer (gathered there) resumes the caller once. `HTTPClientRequest` + `collect`
    /// called from a pool thread crossed between the threads about six times per request (each an
    /// event-loop wake-up; `perf record -e sched:sched_switch` on `ClientCPU`). The preference stays
    /// `.indifferent`: started on `readLoop`, AHC takes that loop and its idle connection there, whereas
    /// `.delegateAndChannel(on:)` opened a new connection for every request (1,200 connects for 1,200 GETs).
    private func pooledExchange(_ request: HTTPClient.Request) async throws -> HTTPClient.Response {
        // A caller already on one of the client's loops (a task preferring `LoopExecutor`) stays there.
        let current = MultiThreadedEventLoopGroup.currentEventLoop
        let loop = client.eventLoopGroup.makeIterator().first { $0 === current } ?? readLoop
        let client = client
        let deadline = NIODeadline.now() + TimeAmount(requestTimeout)
        let started = StartedRequest()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPClient.Response, any Error>) in
                loop.execute {
                    let task = client.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: Self.maxBodyBytes),
                                              eventLoop: .indifferent, deadline: deadline, logger: nil)
                    task.futureResult.whenComplete { continuation.resume(with: $0) }
                    let cancelled = started.state.withLock { state -> Bool in
                        defer { state = .running(task) }
                        if case .cancelled = state { return true }
                        return false
                    }
                    if cancelled { task.cancel() }
                }
            }
        } onCancel: {
            let task = started.state.withLock { state -> HTTPClient.Task<HTTPClient.Response>? in
                defer { if case .waiting = state { state = .cancelled } }
                if case let .running(task) = state { return task }
                return nil
            }
            task?.cancel()
        }
    }

    /// Where a pooled request is, for a cancellation that may come before it has started on the loop.
    private final class StartedRequest: Sendable {
        enum State {
            case waiting
            case cancelled
            case running(HTTPClient.Task<HTTPClient.Response>)
        }
        let state = Mutex(State.waiting)
    }

    /// Exponential backoff with "equal jitter" before retry `attempt` (1, 2, …): half the capped delay
    /// plus a random part of the other half.
    public static func backoff(attempt: Int, base: Duration, max maximum: Duration) -> Duration {
        let capped = min(base * (1 << min(attempt - 1, 16)), maximum)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
    }
}
