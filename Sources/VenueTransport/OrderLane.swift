import Markets
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// One keep-alive HTTP/1.1 connection, kept open ahead of need: a venue's writes (orders, cancels) have
/// `VenueHTTP.orderLanes` of their own, its reads `VenueHTTP.readLanes`.
///
/// The pooled client costs an order several hundred microseconds between "send" and the first byte on
/// the wire (request bag, pool lookup, state machines). This lane is a plain NIO pipeline (TLS when the
/// venue is `https`, then NIO's HTTP/1.1 codec): a request is written in one event-loop task, and the
/// connection is re-opened in the background as soon as the server closes it, so an order rarely waits
/// for a handshake. One request at a time: while the lane is busy `send` returns nil and the caller tries
/// its next lane (`VenueHTTP.orderLanes` per venue host), then the pool. The legs of an arbitrage wait for
/// each other at the write (`LaunchGate`): every lane runs on one event loop, so the group's requests are
/// written in the same loop pass. Outcomes keep the transport's safety rule: a request that provably never
/// left (the connection could not be opened, or was closed before the write) is `notSent`; anything after
/// the write without a whole answer is `lost`, which a write treats as ambiguous.
public final class OrderLane: Sendable {
    public enum Failure: Error {
        case notSent(String)
        case lost(String)
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: ByteBuffer
    }

    private struct Connection: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<AnswerHandler>
        let opened = NIODeadline.now()
    }

    private struct State {
        var connection: Connection?
        var connecting: EventLoopFuture<Connection>?
        var busy = false
        var closed = false
    }

    private let host: String
    private let port: Int
    private let tls: NIOSSLContext?
    private let eventLoop: any EventLoop
    private let connectTimeout: TimeAmount
    private let maxBodyBytes: Int
    private let state = Mutex(State())
    private let written = Atomic<Int>(0)

    /// Requests handed to this lane's connection so far (status and tests).
    public var requestsSent: Int { written.load(ordering: .relaxed) }

    /// One request's write, for benchmarks and tests (`traceWrites`).
    public struct WriteTrace: Sendable {
        public var body: ByteBuffer?
        /// `CLOCK_MONOTONIC` nanoseconds when its flush began and returned (the bytes with the kernel).
        public var flushStarted: UInt64
        public var flushed: UInt64
        /// Requests written in the same loop pass (a group released together), this one included.
        public var batch: Int
    }

    /// Benchmarks and tests only: `observer` hears of every request any lane writes until
    /// `stopTracing` is given the returned token (observers of concurrent tests do not displace each other).
    public static func traceWrites(_ observer: @escaping @Sendable (WriteTrace) -> Void) -> Int {
        tracers.withLock { tracers in
            tracers.next += 1
            tracers.observers[tracers.next] = observer
            return tracers.next
        }
    }

    public static func stopTracing(_ token: Int) { tracers.withLock { _ = $0.observers.removeValue(forKey: token) } }

    private struct Tracers {
        var next = 0
        var observers: [Int: @Sendable (WriteTrace) -> Void] = [:]
    }
    private static let tracers = Mutex(Tracers())

    /// The event loop of every lane: a group's writes, released together, run in one loop pass.
    static let sharedLoop: any EventLoop = pinnedGroup.withLock { $0?.next() } ?? MultiThreadedEventLoopGroup.singleton.next()

    private static let pinnedGroup = Mutex<MultiThreadedEventLoopGroup?>(nil)

    /// Benchmarks only, before any lane is made: the lanes' event loop runs on a thread of its own pinned
    /// to `cpu` (with the in-process simulators on another core, a leg's loopback send then does not wake
    /// them on the core that is about to send the other leg).
    public static func pinLoop(cpu: Int) {
        pinnedGroup.withLock { $0 = MultiThreadedEventLoopGroup(pinnedCPUIDs: [cpu]) }
    }

    /// `maxBodyBytes`: a longer answer fails its request (and closes the connection).
    public init(host: String, port: Int, useTLS: Bool, connectTimeout: Duration, maxBodyBytes: Int) throws {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        tls = useTLS ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        eventLoop = Self.sharedLoop
        self.connectTimeout = TimeAmount(connectTimeout)
    }

    /// Opens the connection now (the first order then finds it open).
    public func warmUp() async {
        _ = try? await connection().get()
    }

    public func close() {
        let connection = state.withLock { state in
            state.closed = true
            return state.connection
        }
        connection?.channel.close(promise: nil)
    }

    /// Sends one request over the lane; nil when the lane is busy with another. A `gated` request (an
    /// order) waits at the task's `LaunchGate` for the rest of its group, if it has one.
    public func send(_ head: HTTPRequestHead, body: ByteBuffer?, timeout: Duration, gated: Bool) async throws(Failure) -> Answer? {
        let reserved = state.withLock { state -> Bool in
            guard !state.busy, !state.closed else { return false }
            state.busy = true
            return true
        }
        guard reserved else { return nil }
        defer { state.withLock { $0.busy = false } }
        do {
            return try await exchange(head, body: body, timeout: timeout, gated: gated)
        } catch .notSent {
            // The connection was closing under us and nothing left: once more on a fresh one.
            return try await exchange(head, body: body, timeout: timeout, gated: gated)
        }
    }

    private func exchange(_ head: HTTPRequestHead, body: ByteBuffer?, timeout: Duration, gated: Bool) async throws(Failure) -> Answer {
        let connection: Connection
        if let open = state.withLock({ $0.connection }), open.channel.isActive {
            connection = open  // the usual case, without a round trip through the event loop
        } else {
            do { connection = try await self.connection().get() } catch {
                throw .notSent("connecting: \(error)")
            }
        }
        let answer = eventLoop.makePromise(of: Answer.self)
        written.add(1, ordering: .relaxed)
        let request = Staged(channel: connection.channel, handler: connection.handler, head: head, body: body, timeout: TimeAmount(timeout),
                             answer: answer)
        let write = LaunchGate.Write(request: request) { batch in Self.put(batch) }
        if gated, let member = LaunchGate.current {
            if member.arrive(write) {
                let gate = member.gate
                eventLoop.scheduleTask(in: TimeAmount(gate.hold)) { gate.expire() }
            }
        } else {
            Self.put([request])
        }
        // One wait for the write and the answer alike: the task is woken once per request, not twice
        // (a failed write fails the answer with `WriteFailed`).
        do { return try await answer.futureResult.get() } catch {
            if let failure = error as? WriteFailed {
                if case ChannelError.ioOnClosedChannel = failure.error {
                    forget(connection.channel)
                    throw .notSent("connection closed before the write")
                }
                throw .lost("write failed: \(failure.error)")
            }
            throw .lost("\(error)")
        }
    }

    /// The request could not be written (the answer's failure).
    private struct WriteFailed: Error {
        let error: any Error
    }

    /// A request ready for its connection.
    private struct Staged: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<AnswerHandler>
        let head: HTTPRequestHead
        let body: ByteBuffer?
        let timeout: TimeAmount
        let answer: EventLoopPromise<Answer>

        /// Hands the request to the pipeline (encoded, not flushed); on the channel's loop. The returned
        /// future completes as the request is written.
        func stage() -> EventLoopFuture<Void> {
            handler.value.expect(answer, timeout: timeout, context: channel)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
            let end = channel.eventLoop.makePromise(of: Void.self)
            channel.write(HTTPClientRequestPart.end(nil), promise: end)
            return end.futureResult
        }
    }

    /// Writes requests (one, or a group's, every lane sharing `sharedLoop`) in one loop pass: all staged,
    /// then each connection flushed, so the flushes (the system calls) follow each other directly. A
    /// sender hears only of its answer (or of a failed write): waking a task costs a thread hand-off,
    /// which would otherwise sit between two legs' flushes.
    private static func put(_ batch: [any Sendable]) {
        let requests = batch.compactMap { $0 as? Staged }
        let run: @Sendable () -> Void = {
            let ends = requests.map { $0.stage() }
            let observers = tracers.withLock { $0.observers.isEmpty ? nil : Array($0.observers.values) }
            if let observers {
                // Only clock readings between the flushes; the observer hears of them after the last one
                // (building its record between two legs' flushes would sit between them on the wire).
                var times: [(UInt64, UInt64)] = []
                times.reserveCapacity(requests.count)
                for request in requests {
                    let start = monotonicNanoseconds()
                    request.channel.flush()
                    times.append((start, monotonicNanoseconds()))
                }
                for (request, (start, end)) in zip(requests, times) {
                    let write = WriteTrace(body: request.body, flushStarted: start, flushed: end, batch: requests.count)
                    for observer in observers { observer(write) }
                }
            } else {
                for request in requests { request.channel.flush() }
            }
            for (request, end) in zip(requests, ends) {
                let answer = request.answer
                end.whenFailure { answer.fail(WriteFailed(error: $0)) }
            }
        }
        if sharedLoop.inEventLoop { run() } else { sharedLoop.execute(run) }
    }

    /// The open connection, or the one being opened.
    private func connection() -> EventLoopFuture<Connection> {
        state.withLock { state in
            if let connection = state.connection, connection.channel.isActive { return eventLoop.makeSucceededFuture(connection) }
            if let connecting = state.connecting { return connecting }
            if state.closed { return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
            let connecting = open()
            state.connecting = connecting
            connecting.whenComplete { [weak self] result in
                self?.state.withLock { state in
                    state.connecting = nil
                    if case let .success(connection) = result { state.connection = connection }
                }
            }
            return connecting
        }
    }

    private func open() -> EventLoopFuture<Connection> {
        let host = host
        let tls = tls
        let maxBodyBytes = maxBodyBytes
        let reopen: @Sendable (Connection) -> Void = { [weak self] connection in self?.reopen(after: connection) }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: host))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(AnswerHandler(maxBodyBytes: maxBodyBytes))
                }
            }
            .connect(host: host, port: port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: AnswerHandler.self)
                let connection = Connection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                channel.closeFuture.whenComplete { _ in reopen(connection) }
                return connection
            }
    }

    /// Drops `channel` if it is the current connection; whether it was.
    @discardableResult
    private func forget(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard state.connection?.channel === channel else { return false }
            state.connection = nil
            return true
        }
    }

    /// The server closed the connection: open the next one now rather than on the next order (unless it
    /// lived under a second: a server that keeps closing new connections is not reconnected in a loop).
    private func reopen(after connection: Connection) {
        guard forget(connection.channel), NIODeadline.now() - connection.opened >= .seconds(1),
              !state.withLock({ $0.closed }) else { return }
        _ = self.connection()
    }
}

/// Collects one HTTP response into an `OrderLane.Answer`; fails it if the connection ends first.
private final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: EventLoopPromise<OrderLane.Answer>?
    private var timeout: Scheduled<Void>?
    private var status = 0
    private var body: ByteBuffer?
    private var keepAlive = true
    private let maxBodyBytes: Int

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    func expect(_ promise: EventLoopPromise<OrderLane.Answer>, timeout: TimeAmount, context channel: any Channel) {
        finish(.failure(ClosedError()))
        pending = promise
        status = 0
        body = nil
        let handler = NIOLoopBound(self, eventLoop: channel.eventLoop)
        self.timeout = channel.eventLoop.scheduleTask(in: timeout) {
            handler.value.finish(.failure(TimeoutError()))
            channel.close(promise: nil)
        }
    }

    struct TimeoutError: Error, CustomStringConvertible {
        var description: String { "no answer before the request timeout" }
    }

    struct TooLongError: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "answer body longer than \(limit) bytes" }
    }

    struct ClosedError: Error, CustomStringConvertible {
        var description: String { "connection closed before the whole answer" }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            status = Int(head.status.code)
            keepAlive = head.isKeepAlive
        case var .body(part):
            guard (body?.readableBytes ?? 0) + part.readableBytes <= maxBodyBytes else {
                finish(.failure(TooLongError(limit: maxBodyBytes)))
                context.close(promise: nil)
                return
            }
            if body == nil { body = part } else { body?.writeBuffer(&part) }
        case .end:
            guard pending != nil else {
                // An answer nobody asked for: the connection is out of step, start afresh.
                context.close(promise: nil)
                return
            }
            finish(.success(OrderLane.Answer(status: status, body: body ?? ByteBuffer())))
            if !keepAlive { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ClosedError()))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    private func finish(_ result: Result<OrderLane.Answer, any Error>) {
        timeout?.cancel()
        timeout = nil
        guard let pending else { return }
        self.pending = nil
        pending.completeWith(result)
    }
}
