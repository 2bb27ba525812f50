import Foundation
import HTTPTypes
import Logging
import NIOCore
import WSClient

/// A command the server answered with an error.
public struct WSCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: Int
    public let message: String
    public var description: String { "WebSocket error \(code): \(message)" }
}

/// One authenticated WebSocket connection to a Kalshi venue carrying every subscription (opening one
/// per market gets rate-limited).
///
/// It signs the upgrade (`GET /trade-api/ws/v2`) afresh on every connect, numbers commands and matches
/// acks to them, detects a silent connection (auto-ping: no pong within `silenceTimeout` closes it),
/// reconnects with exponential backoff and jitter, and restores every subscription after a reconnect or
/// a terminal channel error (codes 10 and 25). Consumers read `events`: connection states and decoded
/// messages; malformed frames are counted and reported, and the connection lives on.
public actor KalshiWebSocket {
    public struct Configuration: Sendable {
        /// e.g. `wss://external-api-ws.kalshi.com/trade-api/ws/v2`.
        public var url: URL
        public var credentials: KalshiCredentials?
        public var backoffBase: Duration = .seconds(1)
        public var backoffMax: Duration = .seconds(30)
        /// No pong for this long and the connection is treated as dead.
        public var silenceTimeout: Duration = .seconds(30)
        /// An attempt that has not completed the upgrade after this long is abandoned and retried.
        public var connectTimeout: Duration = .seconds(10)
        /// How long a command waits for its ack.
        public var commandTimeout: Duration = .seconds(10)
        /// How long `subscribe` waits for the server to confirm (including connecting first).
        public var subscribeTimeout: Duration = .seconds(30)
        public var maxMessageSize = 32 << 20
        public var wallClockMilliseconds: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }

        public init(url: URL, credentials: KalshiCredentials?) {
            self.url = url
            self.credentials = credentials
        }
    }

    public enum State: Sendable, Hashable {
        case connecting(attempt: Int)
        case connected
        /// Disconnected; the next attempt starts after this delay.
        case waiting(Duration, reason: String)
        case stopped
    }

    public enum Event: Sendable {
        case state(State)
        case message(WSInbound)
        /// A frame that could not be decoded (counted; the connection continues).
        case malformed(String)
        /// A subscription was re-created with a new sid (after a reconnect or a terminal error).
        case resubscribed(localID: Int, channel: WSChannel, oldSid: Int?, newSid: Int)
    }

    private struct Subscription {
        let channel: WSChannel
        var tickers: [String]?
        let useYesPrice: Bool?
        var sid: Int?
    }

    public let configuration: Configuration
    public nonisolated let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let logger: Logger

    private var writer: WebSocketOutboundWriter?
    private var nextCommandID = 1
    private var pending: [Int: CheckedContinuation<WSInbound, any Error>] = [:]
    /// Command id → local subscription id, for subscribe commands awaiting `subscribed`.
    private var pendingSubscribes: [Int: Int] = [:]
    /// Callers of `subscribe` waiting for the first ack of their subscription.
    private var ackWaiters: [Int: [CheckedContinuation<Void, any Error>]] = [:]
    /// Subscriptions whose caller has not seen the first ack yet.
    private var awaitingFirstAck: Set<Int> = []
    /// A first ack that arrived while its caller was still suspended sending the command (actor
    /// reentrancy): kept until the caller starts waiting, so it is never lost.
    private var earlyAcks: [Int: Result<Void, any Error>] = [:]
    private var subscriptions: [Int: Subscription] = [:]
    private var nextLocalID = 1
    private var runTask: Task<Void, Never>?
    private var consecutiveFailures = 0
    /// Identifies the current connection attempt.
    private var generation = 0
    public private(set) var malformedFrames = 0
    public private(set) var connections = 0

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "kalshi.websocket")) {
        self.configuration = configuration
        self.logger = logger
        (events, continuation) = AsyncStream<Event>.makeStream()
    }

    // MARK: Lifecycle

    /// Starts connecting (and reconnecting) in the background.
    public func start() {
        guard runTask == nil else { return }
        runTask = Task { await self.run() }
    }

    /// Closes the connection and stops reconnecting.
    public func stop() async {
        runTask?.cancel()
        for localID in ackWaiters.keys { acknowledge(localID, .failure(WSCommandError(code: -1, message: "stopped"))) }
        try? await writer?.close(.normalClosure, reason: "client stopping")
        await runTask?.value
        runTask = nil
        continuation.yield(.state(.stopped))
        continuation.finish()
    }

    public var isConnected: Bool { writer != nil }

    private func run() async {
        while !Task.isCancelled {
            continuation.yield(.state(.connecting(attempt: consecutiveFailures + 1)))
            var reason = "closed"
            generation += 1
            let attemptGeneration = generation
            let (signals, signal) = AsyncStream<AttemptSignal>.makeStream()
            do {
                let config = try connectionConfiguration()
                let url = configuration.url.absoluteString
                let logger = logger
                let maxMessageSize = configuration.maxMessageSize
                // The attempt runs on its own: if it hangs (a peer that accepts TCP but never answers the
                // upgrade, which cancellation does not interrupt) it is abandoned, and its generation makes
                // sure a late success is closed rather than used.
                Task {
                    do {
                        try await WebSocketClient.connect(url: url, configuration: config, logger: logger) { inbound, outbound, _ in
                            guard await self.connected(outbound, generation: attemptGeneration) else {
                                try? await outbound.close(.goingAway, reason: "superseded")
                                return
                            }
                            signal.yield(.connected)
                            for try await message in inbound.messages(maxSize: maxMessageSize) {
                                await self.receive(message)
                            }
                        }
                        signal.yield(.finished("closed"))
                    } catch {
                        signal.yield(.finished(String(describing: error).prefix(200).description))
                    }
                }
                let deadline = configuration.connectTimeout
                let watchdog = Task {
                    try await Task.sleep(for: deadline)
                    signal.yield(.deadline)
                }
                var isUp = false
                waiting: for await event in signals {
                    switch event {
                    case .connected:
                        isUp = true
                    case .deadline where !isUp:
                        reason = "upgrade not completed within \(deadline)"
                        break waiting
                    case .deadline:
                        continue
                    case let .finished(why):
                        reason = why
                        break waiting
                    }
                    if Task.isCancelled { break }
                }
                watchdog.cancel()
            } catch {
                reason = String(describing: error).prefix(200).description
            }
            signal.finish()
            disconnected()
            guard !Task.isCancelled else { break }
            consecutiveFailures += 1
            let delay = backoff(consecutiveFailures)
            continuation.yield(.state(.waiting(delay, reason: reason)))
            try? await Task.sleep(for: delay)
        }
    }

    /// Upgrade headers signed now (a reconnect never reuses a signature).
    private func connectionConfiguration() throws -> WebSocketClientConfiguration {
        var headers = HTTPFields()
        if let credentials = configuration.credentials {
            let signer = KalshiSigner(credentials: credentials)
            let auth = try signer.headers(method: "GET", path: configuration.url.path, timestampMilliseconds: configuration.wallClockMilliseconds())
            for (name, value) in auth.pairs {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
        }
        return WebSocketClientConfiguration(maxFrameSize: configuration.maxMessageSize, additionalHeaders: headers,
                                            autoPing: .enabled(timePeriod: configuration.silenceTimeout))
    }

    /// Exponential backoff from `backoffBase` to `backoffMax` with "equal jitter".
    private func backoff(_ failures: Int) -> Duration {
        let base = configuration.backoffBase * (1 << min(max(failures - 1, 0), 16))
        let capped = min(base, configuration.backoffMax)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
    }

    /// Signals of one connection attempt to the run loop.
    private enum AttemptSignal: Sendable {
        case connected
        case deadline
        case finished(String)
    }

    /// Adopts a new connection if it belongs to the current attempt; a superseded one is refused.
    private func connected(_ outbound: WebSocketOutboundWriter, generation: Int) async -> Bool {
        guard generation == self.generation, !Task.isCancelled, runTask != nil else { return false }
        writer = outbound
        connections += 1
        consecutiveFailures = 0
        continuation.yield(.state(.connected))
        for localID in subscriptions.keys.sorted() { await sendSubscribe(localID) }
        return true
    }

    private func disconnected() {
        writer = nil
        for (_, waiting) in pending { waiting.resume(throwing: WSCommandError(code: -1, message: "connection closed")) }
        pending.removeAll()
        pendingSubscribes.removeAll()
        for key in subscriptions.keys { subscriptions[key]?.sid = nil }
    }

    // MARK: Commands

    private func send(_ command: WSCommand) async throws {
        guard let writer else { throw WSCommandError(code: -1, message: "not connected") }
        let text = String(decoding: try KalshiJSON.encoder().encode(command), as: UTF8.self)
        try await writer.write(.text(text))
    }

    private func takeCommandID() -> Int {
        defer { nextCommandID += 1 }
        return nextCommandID
    }

    /// Sends a command and waits for its ack (or error, or the timeout).
    private func request(_ name: WSCommand.Name, _ params: WSParams) async throws -> WSInbound {
        let id = takeCommandID()
        let timeout = configuration.commandTimeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.fail(id, WSCommandError(code: 18, message: "command timeout"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { waiting in
            pending[id] = waiting
            Task {
                do { try await self.send(WSCommand(id: id, cmd: name, params: params)) } catch { self.fail(id, error) }
            }
        }
    }

    private func fail(_ id: Int, _ error: any Error) {
        pending.removeValue(forKey: id)?.resume(throwing: error)
    }

    private func sendSubscribe(_ localID: Int) async {
        guard let subscription = subscriptions[localID] else { return }
        let id = takeCommandID()
        pendingSubscribes[id] = localID
        let params = WSParams(channels: [subscription.channel], marketTickers: subscription.tickers, useYesPrice: subscription.useYesPrice)
        do { try await send(WSCommand(id: id, cmd: .subscribe, params: params)) } catch {
            pendingSubscribes[id] = nil
            logger.debug("subscribe not sent (\(error)); it is restored on the next connection")
        }
    }

    /// Subscribes to one channel (optionally filtered to `tickers`) and returns, once the server has
    /// acknowledged it, a local id that stays valid across reconnects. If the socket is not connected yet,
    /// the subscription is made as soon as it is. Throws if the server refuses it or no ack comes within
    /// `subscribeTimeout` (the subscription is then dropped).
    @discardableResult
    public func subscribe(_ channel: WSChannel, tickers: [String]? = nil, useYesPrice: Bool? = nil) async throws -> Int {
        let localID = nextLocalID
        nextLocalID += 1
        subscriptions[localID] = Subscription(channel: channel, tickers: tickers, useYesPrice: useYesPrice, sid: nil)
        awaitingFirstAck.insert(localID)
        defer { awaitingFirstAck.remove(localID) }
        if writer != nil { await sendSubscribe(localID) }
        let timeout = configuration.subscribeTimeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.acknowledge(localID, .failure(WSCommandError(code: 18, message: "subscription not acknowledged within \(timeout)")))
        }
        defer { timer.cancel() }
        do {
            try await withCheckedThrowingContinuation { (waiting: CheckedContinuation<Void, any Error>) in
                if let early = earlyAcks.removeValue(forKey: localID) { waiting.resume(with: early) } else {
                    ackWaiters[localID, default: []].append(waiting)
                }
            }
        } catch {
            subscriptions[localID] = nil
            throw error
        }
        return localID
    }

    /// Resolves everyone waiting for a subscription's first ack.
    private func acknowledge(_ localID: Int, _ result: Result<Void, any Error>) {
        guard let waiters = ackWaiters.removeValue(forKey: localID) else {
            if awaitingFirstAck.contains(localID), earlyAcks[localID] == nil { earlyAcks[localID] = result }
            return
        }
        for waiting in waiters { waiting.resume(with: result) }
    }

    /// Ends a subscription.
    public func unsubscribe(_ localID: Int) async throws {
        guard let subscription = subscriptions.removeValue(forKey: localID), let sid = subscription.sid, writer != nil else { return }
        _ = try await request(.unsubscribe, WSParams(sids: [sid]))
    }

    /// Adds or removes markets of a subscription.
    public func updateMarkets(_ localID: Int, add: [String] = [], remove: [String] = []) async throws {
        guard var subscription = subscriptions[localID] else { return }
        var tickers = subscription.tickers ?? []
        tickers.append(contentsOf: add.filter { !tickers.contains($0) })
        tickers.removeAll { remove.contains($0) }
        subscription.tickers = tickers
        subscriptions[localID] = subscription
        guard let sid = subscription.sid, writer != nil else { return }
        if !add.isEmpty { _ = try await request(.updateSubscription, WSParams(marketTickers: add, sid: sid, action: "add_markets")) }
        if !remove.isEmpty { _ = try await request(.updateSubscription, WSParams(marketTickers: remove, sid: sid, action: "delete_markets")) }
    }

    /// Asks for fresh `orderbook_snapshot`s of `tickers` on `sid` (after a gap). Fire and forget: the
    /// snapshots arrive as messages.
    public func requestSnapshots(sid: Int, tickers: [String]) async {
        guard !tickers.isEmpty else { return }
        try? await send(WSCommand(id: takeCommandID(), cmd: .updateSubscription, params: WSParams(marketTickers: tickers, sid: sid, action: "get_snapshot")))
    }

    /// The server's view of this connection's subscriptions.
    public func listSubscriptions() async throws -> [WSSubscriptionInfo] {
        guard case let .subscriptions(_, list) = try await request(.listSubscriptions, WSParams()) else { return [] }
        return list
    }

    /// The server sid currently serving a local subscription.
    public func sid(of localID: Int) -> Int? { subscriptions[localID]?.sid }

    // MARK: Inbound

    private func receive(_ message: WebSocketMessage) {
        let data: Data
        switch message {
        case let .text(text): data = Data(text.utf8)
        case let .binary(buffer): data = Data(buffer.readableBytesView)
        }
        let inbound: WSInbound
        do {
            inbound = try WSInbound.decode(data)
        } catch {
            malformedFrames += 1
            logger.warning("malformed WebSocket frame #\(malformedFrames): \(error)")
            continuation.yield(.malformed(error.description))
            return
        }
        switch inbound {
        case let .subscribed(id, _, sid):
            if let id, let localID = pendingSubscribes.removeValue(forKey: id), subscriptions[localID] != nil {
                let old = subscriptions[localID]?.sid
                subscriptions[localID]?.sid = sid
                if let channel = subscriptions[localID]?.channel { continuation.yield(.resubscribed(localID: localID, channel: channel, oldSid: old, newSid: sid)) }
                acknowledge(localID, .success(()))
            }
            if let id { pending.removeValue(forKey: id)?.resume(returning: inbound) }
        case let .error(id, sid, code, text):
            if let id {
                if let localID = pendingSubscribes.removeValue(forKey: id) {
                    acknowledge(localID, .failure(WSCommandError(code: code, message: text)))
                }
                pending.removeValue(forKey: id)?.resume(throwing: WSCommandError(code: code, message: text))
            }
            if let sid, WSErrorCode.isTerminal(code), let localID = subscriptions.first(where: { $0.value.sid == sid })?.key {
                logger.warning("subscription sid \(sid) ended with error \(code); re-creating it")
                subscriptions[localID]?.sid = nil
                continuation.yield(.message(inbound))
                Task { await self.sendSubscribe(localID) }
                return
            }
        case let .ok(id, _, _), let .subscriptions(id, _), let .unsubscribed(id, _):
            if let id { pending.removeValue(forKey: id)?.resume(returning: inbound) }
        default:
            break
        }
        continuation.yield(.message(inbound))
    }
}
