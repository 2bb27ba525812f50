import Execution
import Foundation
import Markets
import PolymarketClient
import PolymarketWire

/// Counters a Polymarket executor keeps for metrics and the closing stats.
public struct PolymarketExecutorCounters: Sendable, Hashable {
    public var ambiguousSubmits = 0
    /// Ambiguous submits the venue confirmed by the order's id (its EIP-712 hash).
    public var resolvedByLookup = 0
    public var timeoutCancels = 0
    public var duplicateFillsDropped = 0
    public var rateLimitedSubmits = 0
    public var reconnects = 0
    public var overfills = 0
    /// Matched trades the venue later failed (their fills never counted).
    public var failedTrades = 0
    /// Orders the venue answered `live`/`delayed` with nothing matched yet although they were immediate.
    public var delayedOrders = 0
    public var heartbeats = 0
}

/// Orders on Polymarket's CLOB V2 through signed EIP-712 orders.
///
/// One `execute` call owns one order: balance pre-check, build and sign (an order the venue would refuse
/// is refused before it is signed, with the venue's reason), send, then follow it to the end from the
/// user channel with REST as fallback. A fill counts only when the venue says its trade is final
/// (`CONFIRMED`): a matched trade is provisional, `RETRYING` waits, and `FAILED` withdraws it, so a
/// settlement failure never reaches positions. An order's id is its EIP-712 hash, computed before sending,
/// so an unknown outcome is resolved by asking the venue for that id, never guessed; the salt comes from
/// the client order id and the timestamp is whole seconds, so a later run can recompute the id from the
/// journal alone.
public actor PolymarketExecutor<C: Clock>: Executor where C.Duration == Duration {
    public struct Settings: Sendable {
        /// An order still working after this long is cancelled (the remainder).
        public var orderTimeout: Duration = .seconds(30)
        /// After the venue is done with an order, how long its matched trades may take to become final.
        public var settlementTimeout: Duration = .seconds(120)
        /// REST is checked when the user channel has been quiet this long.
        public var safetyPollInterval: Duration = .seconds(2)
        public var resolveAttempts = 3
        public var resolveBackoff: Duration = .milliseconds(100)
        /// Resends of the same signed order after a 429 (not applied), spaced by `rateLimitBackoff` × attempt.
        public var rateLimitRetries = 2
        public var rateLimitBackoff: Duration = .milliseconds(250)
        public var balanceMaxAge: Duration = .seconds(5)
        /// Heartbeats while a GTC order rests (the venue cancels every open order when they stop).
        public var heartbeatInterval: Duration = .seconds(5)
        /// Order ids per `DELETE /orders` of a cancel-all (the venue refuses more than 3,000 in one).
        public var cancelIDsPerRequest = 3_000
        public init() {}
    }

    struct TradePart {
        var status: String
        /// This order's share of the trade, priced in the traded token.
        var fills: [ExecutionFill]
        /// Its fills went to the order (CONFIRMED).
        var applied = false
        /// The venue failed it: its fills never count.
        var withdrawn = false
        /// What the trade matched of this order (kept when it fails: the venue's matched size counted it).
        var matched = Contracts.zero
    }

    struct Tracked {
        var request: ExecutionRequest
        var info: PolyTokenInfo
        var token: String
        var order: OrderLifecycle
        /// The venue will not match the order further (fully matched, cancelled, killed).
        var venueFinished = false
        /// How much of the order the venue says matched: the order is done only once trades account for it.
        var venueMatched = Contracts.zero
        var trades: [String: TradePart] = [:]
        var signal = ChangeSignal()
        var fault: OrderTransitionError?
        var started: ContinuousClock.Instant
        var timing = ExecutionTiming()
        /// A cancel-all's cancel of it was answered `canceled`: it no longer rests on the venue, though its
        /// execution may not have concluded yet (`not_canceled` is no such answer).
        var cancelAnswered = false
    }

    let client: PolymarketClient
    let user: PolyUserStream?
    public let directory: PolyMarketDirectory
    let builder: PolyOrderBuilder
    let clock: C
    let settings: Settings
    var tracked: [String: Tracked] = [:]
    /// Trade events for orders whose POST answer has not arrived yet.
    var early = EarlyEvents<PolyTrade>()
    private var balance: (micros: Int64, at: C.Instant)?
    private var reserved: Int64 = 0
    private var balanceRefresh: Task<Void, Never>?
    private var consumer: Task<Void, Never>?
    private var heartbeatTask: Task<Void, Never>?
    var connectedOnce = false
    public internal(set) var counters = PolymarketExecutorCounters()
    private let metrics: ExecutionMetrics?

    func bump(_ counter: WritableKeyPath<PolymarketExecutorCounters, Int>, _ name: String) {
        counters[keyPath: counter] += 1
        metrics?.count("polymarket_" + name)
    }

    public init(client: PolymarketClient, user: PolyUserStream?, directory: PolyMarketDirectory, builder: PolyOrderBuilder, clock: C,
                settings: Settings = Settings(), metrics: ExecutionMetrics? = nil) {
        self.client = client
        self.user = user
        self.directory = directory
        self.builder = builder
        self.clock = clock
        self.settings = settings
        self.metrics = metrics
    }

    /// Connects the user channel and starts routing its events to orders.
    public func start() async {
        guard let user, consumer == nil else { return }
        let events = user.events
        consumer = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
        }
        await user.start()
    }

    public func stop() async {
        heartbeatTask?.cancel()
        heartbeatTask = nil
        await user?.stop()
        consumer?.cancel()
        consumer = nil
    }

    // MARK: Orders as the venue sees them

    /// The token traded and the venue's side for a request on the market's YES token: a NO side trades
    /// the NO token at the NO price.
    static func venueTerms(_ request: ExecutionRequest, _ info: PolyTokenInfo) -> (token: String, side: PolySide, type: PolyOrderType) {
        let token = info.outcome(of: request.ticker) == .no ? (request.side == .yes ? info.noToken : info.yesToken) : info.token(request.side)
        let type: PolyOrderType = switch request.timeInForce {
        case .immediateOrCancel: .fak
        case .fillOrKill: .fok
        case .goodTillCanceled: .gtc
        }
        return (token, request.action == .buy ? .buy : .sell, type)
    }

    /// The salt of an order: 53 bits of Keccak-256 of its client order id and signer (unique per order,
    /// below 2⁵³ like the official clients', and recomputable from the journal).
    public static func salt(clientOrderID: String, signer: EthereumAddress) -> UInt256 {
        let digest = Keccak256.hash(Array(("poly-salt:" + clientOrderID + ":" + signer.checksummed).utf8))
        var value: UInt64 = 0
        for byte in digest.prefix(8) { value = value << 8 | UInt64(byte) }
        return UInt256(value & ((1 << 53) - 1))
    }

    /// Builds and signs the order for a request at `seconds` (the order's timestamp is whole seconds).
    func signed(_ request: ExecutionRequest, info: PolyTokenInfo, seconds: Int64) throws(PolyOrderRefusal) -> (SignedPolyOrder, PolyOrderType) {
        let terms = Self.venueTerms(request, info)
        guard let tokenID = UInt256(decimal: terms.token) else { throw PolyOrderRefusal("token id \(terms.token.prefix(24)) is not a decimal uint256") }
        let market = PolyOrderBuilder.Market(tokenID: tokenID, tick: info.tick, negRisk: info.negRisk, minimumSize: info.minimumSize)
        let milliseconds = UInt64(max(0, seconds)) * 1_000
        let order = try builder.order(market, side: terms.side, price: Dollars(micros: request.limit.micros),
                                      size: Dollars(micros: request.count.hundredths * 10_000), type: terms.type,
                                      salt: Self.salt(clientOrderID: request.clientOrderID, signer: builder.signer.address),
                                      timestamp: milliseconds, nowMilliseconds: milliseconds)
        return (order, terms.type)
    }

    // MARK: Executing

    public func execute(_ request: ExecutionRequest) async -> ExecutionResult {
        await prepare(request).send()
    }

    /// Everything before the wire: the market's terms, the guards, the signature, the funds reserved.
    /// `send` submits and follows the order (or answers the refusal at once).
    public func prepare(_ request: ExecutionRequest) async -> PreparedExecution {
        let started = ContinuousClock.now
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        func refused(_ code: String, _ reason: String) -> PreparedExecution {
            try? order.reject(code: code)
            let result = ExecutionResult(order, rejection: reason)
            return PreparedExecution { result }
        }
        let info: PolyTokenInfo
        do { info = try await directory.info(request.ticker) } catch { return refused("UNKNOWN_MARKET", error.description) }
        guard request.count.isPositive else { return refused("INVALID_COUNT", "count \(request.count.wireString) must be positive; nothing was sent") }
        guard info.grid.contains(request.limit) else {
            return refused("INVALID_TICK", "limit \(request.limit.wireString) is off the market's tick \(info.tick); nothing was sent")
        }
        let signedOrder: SignedPolyOrder, type: PolyOrderType
        do {
            (signedOrder, type) = try signed(request, info: info, seconds: Int64(Date().timeIntervalSince1970))
        } catch {
            return refused("REFUSED_BEFORE_SENDING", error.description)
        }
        var reservation: Int64 = 0
        if request.action == .buy {
            switch await reserveBalance(request, info: info) {
            case let .success(amount): reservation = amount
            case let .failure(refusal): return refused(refusal.code, refusal.message)
            }
        }
        let prepared = Prepared(request: request, info: info, order: order, signed: signedOrder, type: type,
                                body: client.body(signedOrder, type: type), reservation: reservation, started: started)
        return PreparedExecution { await self.send(prepared) }
    }

    /// An order signed and funded, not sent yet.
    struct Prepared: Sendable {
        let request: ExecutionRequest
        let info: PolyTokenInfo
        let order: OrderLifecycle
        let signed: SignedPolyOrder
        let type: PolyOrderType
        /// The `POST /order` body, made with the signature (nothing is encoded once the legs go).
        let body: Data
        let reservation: Int64
        let started: ContinuousClock.Instant
    }

    private func send(_ prepared: Prepared) async -> ExecutionResult {
        let request = prepared.request, type = prepared.type, signedOrder = prepared.signed
        var order = prepared.order
        defer { reserved -= prepared.reservation }
        try? order.markSubmitted()
        let terms = Self.venueTerms(request, prepared.info)
        let orderID = signedOrder.orderID
        tracked[orderID] = Tracked(request: request, info: prepared.info, token: terms.token, order: order, started: prepared.started)
        defer {
            tracked[orderID] = nil
            early.finish(orderID)
        }
        let generation = cancelAllCount
        let outcome = await submit(signedOrder, type: type, body: prepared.body, request: request)
        switch outcome {
        case let .accepted(response):
            accept(orderID, response: response, type: type)
        case let .refused(code, message, killed):
            guard var entry = tracked[orderID] else { break }
            if killed {
                // A FAK or FOK the venue killed whole: the venue had it and nothing matched.
                try? entry.order.acknowledge(venueOrderID: orderID)
                try? entry.order.cancel()
            } else {
                try? entry.order.reject(code: code)
            }
            return ExecutionResult(entry.order, rejection: message)
        case let .unresolved(reason):
            guard var entry = tracked[orderID] else { break }
            if !entry.order.isAmbiguous { try? entry.order.markAmbiguous() }
            tracked[orderID] = entry
            return ExecutionResult(entry.order, rejection: reason)
        }
        if type == .gtc { ensureHeartbeat() }
        let final = await work(orderID, cancelAllSince: generation)
        settleBalance(final, request)
        return final
    }

    enum SubmitOutcome {
        case accepted(PolyOrderResponse?)
        /// Definitively not placed (`killed`: placed and killed whole, a FAK/FOK with nothing to match).
        case refused(code: String, message: String, killed: Bool)
        case unresolved(String)
    }

    /// Codes for Polymarket's refusals (its message is kept verbatim in the result).
    static func refusalCode(_ message: String) -> (code: String, killed: Bool) {
        let text = message.lowercased()
        if text.contains("no orders found to match with fak") { return ("FAK_NO_MATCH", true) }
        if text.contains("couldn't be fully filled") { return ("FOK_NOT_FILLED", true) }
        if text.contains("not enough balance") { return ("INSUFFICIENT_BALANCE", false) }
        if text.contains("minimum tick size") { return ("INVALID_TICK", false) }
        if text.contains("lower than the minimum") { return ("BELOW_MINIMUM_SIZE", false) }
        if text.contains("invalid signature") { return ("INVALID_SIGNATURE", false) }
        if text.contains("crosses") { return ("POST_ONLY_CROSS", false) }
        if text.contains("not yet ready") || text.contains("trading is currently") || text.contains("post-only mode") { return ("MARKET_NOT_TRADING", false) }
        if text.contains("invalid amounts") { return ("INVALID_AMOUNTS", false) }
        return ("REJECTED", false)
    }

    private func submit(_ signed: SignedPolyOrder, type: PolyOrderType, body: Data, request: ExecutionRequest) async -> SubmitOutcome {
        var attempt = 0
        while true {
            do {
                return .accepted(try await client.post(body: body))
            } catch {
                switch error.kind {
                case let .rejected(_, message) where message.contains("Duplicated"):
                    // An earlier attempt of this very order (same id) reached the venue.
                    return await resolve(signed.orderID, after: error)
                case let .rejected(_, message):
                    let (code, killed) = Self.refusalCode(message)
                    return .refused(code: code, message: message, killed: killed)
                case .rateLimited where attempt < settings.rateLimitRetries:
                    bump(\.rateLimitedSubmits, "rate_limited_submits")
                    attempt += 1
                    try? await clock.sleep(for: settings.rateLimitBackoff * attempt, tolerance: nil)
                case .rateLimited:
                    bump(\.rateLimitedSubmits, "rate_limited_submits")
                    return .refused(code: "RATE_LIMITED", message: error.description, killed: false)
                case .notSent:
                    return .refused(code: "NOT_SENT", message: error.description, killed: false)
                case .ambiguous, .unavailable, .invalidResponse:
                    bump(\.ambiguousSubmits, "ambiguous_submits")
                    if var entry = tracked[signed.orderID] {
                        try? entry.order.markAmbiguous()
                        tracked[signed.orderID] = entry
                    }
                    return await resolve(signed.orderID, after: error)
                }
            }
        }
    }

    /// Finds out what the venue did with an order whose submit outcome is unknown, by its id: the order
    /// listed, or trades naming it (a filled FAK may not be listed). "Not found" is not evidence yet: the
    /// order stays ambiguous and the service keeps asking until it is found or absent for the window.
    private func resolve(_ orderID: String, after error: PolyAPIError) async -> SubmitOutcome {
        var notFound = 0
        for attempt in 1...max(settings.resolveAttempts, 1) {
            if let found = try? await client.order(orderID) {
                bump(\.resolvedByLookup, "resolved_by_lookup")
                apply(found, to: orderID)
                return .accepted(nil)
            }
            if let market = tracked[orderID]?.info.conditionID, let trades = try? await client.trades(market: market),
               trades.contains(where: { Self.involves($0, orderID) }) {
                bump(\.resolvedByLookup, "resolved_by_lookup")
                for trade in trades where Self.involves(trade, orderID) { record(trade, for: orderID, rest: true) }
                tracked[orderID]?.venueFinished = true  // only a finished FAK/FOK goes unlisted with trades
                return .accepted(nil)
            }
            notFound += 1
            try? await clock.sleep(for: settings.resolveBackoff * attempt, tolerance: nil)
        }
        return .unresolved("outcome unknown: the venue did not list order \(orderID) in \(settings.resolveAttempts) lookups (\(notFound) found nothing) "
                           + "after \(error); asked again until found or absent for the whole window")
    }

    // MARK: Balance

    struct BalanceRefusal: Error {
        let code: String
        let message: String
    }

    /// Checks the (cached) pUSD balance covers the buy at its limit plus the taker fee, and reserves it.
    private func reserveBalance(_ request: ExecutionRequest, info: PolyTokenInfo) async -> Result<Int64, BalanceRefusal> {
        let fee = info.fees.fee(count: request.count, price: request.limit, role: .taker)
        guard let cost = try? request.limit.notional(request.count, rounding: .up) + fee else {
            return .failure(BalanceRefusal(code: "COST_OVERFLOW", message: "cost of \(request.count.wireString) at \(request.limit.wireString) overflows"))
        }
        if balance == nil {
            do {
                balance = (try await client.collateralBalance(signatureType: builder.signatureType), clock.now)
            } catch {
                return .failure(BalanceRefusal(code: "BALANCE_UNAVAILABLE", message: "balance pre-check failed: \(error)"))
            }
        } else if let cached = balance, cached.at.duration(to: clock.now) > settings.balanceMaxAge, balanceRefresh == nil {
            balanceRefresh = Task { [weak self] in await self?.refreshBalance() }
        }
        let available = (balance?.micros ?? 0) - reserved
        guard cost.micros <= available else {
            return .failure(BalanceRefusal(code: "INSUFFICIENT_BALANCE",
                                           message: "INSUFFICIENT_BALANCE: cost=\(cost.wireString) available=\(Dollars(micros: available).wireString) pUSD"))
        }
        reserved += cost.micros
        return .success(cost.micros)
    }

    private func refreshBalance() async {
        if let fresh = try? await client.collateralBalance(signatureType: builder.signatureType) { balance = (fresh, clock.now) }
        balanceRefresh = nil
    }

    private func settleBalance(_ result: ExecutionResult, _ request: ExecutionRequest) {
        guard let cached = balance else { return }
        let flow = request.action == .buy ? -result.notional.micros : result.notional.micros
        let (moved, overflow) = cached.micros.addingReportingOverflow(flow - result.fees.micros)
        guard !overflow else { return }
        balance = (moved, cached.at)
    }

    // MARK: Heartbeats

    /// Keeps the dead-man switch fed while any GTC order rests; stops when none does.
    private func ensureHeartbeat() {
        guard heartbeatTask == nil else { return }
        heartbeatTask = Task { [weak self] in
            var id = ""
            while !Task.isCancelled {
                guard let self, await self.hasRestingGTC() else { break }
                do {
                    id = try await self.client.heartbeat(id)
                    await self.bump(\.heartbeats, "heartbeats")
                } catch {
                    id = ""  // the chain broke (or the venue restarted it): begin again
                }
                try? await self.clock.sleep(for: self.settings.heartbeatInterval, tolerance: nil)
            }
            await self?.heartbeatStopped()
        }
    }

    private func hasRestingGTC() -> Bool { tracked.values.contains { $0.request.timeInForce == .goodTillCanceled && !$0.venueFinished } }
    private func heartbeatStopped() { heartbeatTask = nil }

    // MARK: Executor

    /// `cancelAll` calls so far: an order whose submission overlapped one (the venue may not have had it
    /// when the cancel went) has its remainder cancelled as soon as it is accepted.
    var cancelAllCount = 0

    /// Cancels the orders this executor is still working (`DELETE /orders` with their ids, at most
    /// `cancelIDsPerRequest` in one request; not `/cancel-all`, which would take every open order of the key,
    /// another process's too), each request tried again (up to `resolveAttempts`, spaced by `resolveBackoff`
    /// × attempt) while the venue does not answer or answers 5xx.
    /// Returns how many the venue cancelled.
    public func cancelAll() async -> Int {
        cancelAllCount += 1
        let working = tracked.filter { !$0.value.order.state.isTerminal }.keys.sorted()
        var cancelled = 0
        for chunk in working.chunked(settings.cancelIDsPerRequest) {
            let ids = Array(chunk)
            var answer: PolyCancelResponse?
            for attempt in 1...max(1, settings.resolveAttempts) where answer == nil {
                if attempt > 1 { try? await clock.sleep(for: settings.resolveBackoff * (attempt - 1), tolerance: nil) }
                do { answer = try await client.cancel(orderIDs: ids) } catch {
                    // A refusal stands; the venue's 503 ("trading is currently disabled") passes.
                    if case let .rejected(status, _) = error.kind, status < 500 { break }
                }
            }
            // Counted by the venue's word: an execution may have concluded (and stopped tracking its order)
            // on the user channel's cancellation while this answer was on its way.
            for orderID in answer?.canceled ?? [] { tracked[orderID]?.cancelAnswered = true }
            cancelled += answer?.canceled.count ?? 0
        }
        for orderID in working { wake(orderID, changed: false) }
        return cancelled
    }

    /// Orders that may be working on the venue: not final, and not answered `canceled` by a cancel-all.
    public func openOrders() -> [OrderLifecycle] { tracked.values.filter { !$0.cancelAnswered && !$0.order.state.isTerminal }.map(\.order) }

    public func positions() async -> [String: Contracts] { ((try? await venuePositions()) ?? nil) ?? [:] }
}
