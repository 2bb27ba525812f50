import KalshiWire
import Execution
import Markets
import TradingClient

/// Counters a live executor keeps for metrics and the closing stats.
public struct KalshiExecutorCounters: Sendable, Hashable {
    public var ambiguousSubmits = 0
    /// Ambiguous submits the venue confirmed by `client_order_id`.
    public var resolvedByLookup = 0
    public var timeoutCancels = 0
    public var duplicateFillsDropped = 0
    public var rateLimitedSubmits = 0
    public var reconnects = 0
    public var overfills = 0
}

/// Orders on a Kalshi venue (demo or live) through the V2 endpoints.
///
/// One `execute` call owns one order from submit to a final state: balance pre-check, submit, then fills
/// from the private WebSocket channels (or polling), cancelling whatever rests when `orderTimeout` elapses.
/// A submit whose outcome is unknown is never guessed: the executor looks the order up by its
/// `client_order_id` (Kalshi rejects a duplicate id with 409, so a resubmit can never double an order).
/// Fill prices and fees come from the venue's fills, never from the limit.
public actor KalshiExecutor<C: Clock>: Executor where C.Duration == Duration {
    public struct Settings: Sendable {
        public var fillDetection: FillDetection = .websocket
        public var pollInterval: Duration = .milliseconds(200)
        /// An order still working after this long is cancelled (the remainder).
        public var orderTimeout: Duration = .seconds(30)
        /// Tries of that cancel when the venue does not answer it (5xx, 429, timeout, not sent), spaced by
        /// `pollInterval` × attempt; a cancel is idempotent (one of an order already ended answers 404).
        public var cancelAttempts = 3
        /// Cancel requests a cancel-all has in flight at once (the venue host's order lanes).
        public var cancelConcurrency = 8
        /// Orders per batched cancel of a cancel-all (the official SDK's batch size; 40 tokens, inside the
        /// client's write burst on every tier). 1 cancels each order on its own.
        public var cancelBatchSize = 20
        /// With WebSocket detection, REST is checked when the socket has been quiet this long.
        public var safetyPollInterval: Duration = .seconds(2)
        /// After the order is done, confirm its fills against `GET /portfolio/fills` (duplicates dropped).
        public var confirmFillsWithREST = false
        /// Lookups by `client_order_id` after an ambiguous submit, spaced by `resolveBackoff` × attempt.
        public var resolveAttempts = 3
        public var resolveBackoff: Duration = .milliseconds(100)
        /// Resubmits (same `client_order_id`) after a 429, spaced by `rateLimitBackoff` × attempt.
        public var rateLimitRetries = 2
        public var rateLimitBackoff: Duration = .milliseconds(250)
        /// A cached balance older than this is refreshed before a buy.
        public var balanceMaxAge: Duration = .seconds(5)
        public init() {}
    }

    struct Tracked {
        var request: ExecutionRequest
        var order: OrderLifecycle
        var venueStatus: KalshiOrderStatus?
        var venueFilled: Contracts?
        var signal = ChangeSignal()
        var fault: OrderTransitionError?
        var started: ContinuousClock.Instant
        var timing = ExecutionTiming()
        /// The venue answered a cancel-all's cancel of it (cancelled, or refused as already ended): it no
        /// longer rests there, though its execution may not have concluded yet.
        var cancelAnswered = false
    }

    let client: KalshiTradingClient
    private let account: AccountStream?
    let clock: C
    let settings: Settings
    /// Orders being worked, by venue order id.
    var tracked: [String: Tracked] = [:]
    /// Events for orders whose create response has not arrived yet (the socket can be faster than REST).
    var early = EarlyEvents<AccountEvent>()
    private var balance: (dollars: Dollars, at: C.Instant)?
    /// Money committed to buys in flight.
    private var reserved = Dollars.zero
    private var balanceRefresh: Task<Void, Never>?
    private var consumer: Task<Void, Never>?
    var connectedOnce = false
    public internal(set) var counters = KalshiExecutorCounters()
    /// Where the counters are also published (Prometheus through the admin API).
    private let metrics: ExecutionMetrics?

    func bump(_ counter: WritableKeyPath<KalshiExecutorCounters, Int>, _ name: String) {
        counters[keyPath: counter] += 1
        metrics?.count(name)
    }

    /// - Parameter account: the private channels; required for `.websocket` detection (without it the
    ///   executor polls).
    public init(client: KalshiTradingClient, account: AccountStream?, clock: C, settings: Settings = Settings(), metrics: ExecutionMetrics? = nil) {
        self.metrics = metrics
        self.client = client
        self.account = account
        self.clock = clock
        var settings = settings
        if account == nil { settings.fillDetection = .polling }
        self.settings = settings
    }

    /// Connects the private channels (WebSocket detection) and starts routing their events to orders.
    public func start() async throws {
        guard let account, consumer == nil, settings.fillDetection == .websocket else { return }
        let events = account.events
        consumer = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
        }
        try await account.start()
    }

    public func stop() async {
        await account?.stop()
        consumer?.cancel()
        consumer = nil
    }

    // MARK: Executing

    public func execute(_ request: ExecutionRequest) async -> ExecutionResult {
        let started = ContinuousClock.now
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        var reservation = Dollars.zero
        if request.action == .buy {
            switch await reserveBalance(request) {
            case let .success(amount): reservation = amount
            case let .failure(refusal):
                try? order.reject(code: refusal.code)
                return ExecutionResult(order, rejection: refusal.message)
            }
        }
        defer { reserved = (try? reserved - reservation) ?? .zero }
        try? order.markSubmitted()
        let orderID: String
        let immediateFill: Contracts?
        let generation = cancelAllCount
        switch await submit(request, &order) {
        case let .accepted(id, filled):
            (orderID, immediateFill) = (id, filled)
        case let .finished(rejection):
            return ExecutionResult(order, rejection: rejection)
        }
        let final = await work(orderID, request, order, immediateFill: immediateFill, started: started, cancelAllSince: generation)
        settleBalance(final, request)
        return final
    }

    enum SubmitOutcome {
        /// The venue has the order; `immediateFill` is the create response's fill count (nil after a lookup).
        case accepted(orderID: String, immediateFill: Contracts?)
        /// Rejected, refused or unresolved; the order is in its final local state.
        case finished(rejection: String)
    }

    private func submit(_ request: ExecutionRequest, _ order: inout OrderLifecycle) async -> SubmitOutcome {
        var intent = OrderIntent(ticker: request.ticker, action: request.action, side: request.side, price: request.limit,
                                 count: request.count, timeInForce: request.timeInForce, clientOrderID: request.clientOrderID)
        intent.selfTradePrevention = .takerAtCross
        var attempt = 0
        while true {
            do {
                let response = try await client.createOrder(intent, grid: request.grid)
                try? order.acknowledge(venueOrderID: response.orderID)
                return .accepted(orderID: response.orderID, immediateFill: response.fillCount)
            } catch let refusal as OrderRefusal {
                try? order.reject(code: refusal.code.description)
                return .finished(rejection: refusal.description)
            } catch let error as KalshiAPIError {
                switch error.kind {
                case let .rejected(409, code, _, _) where code == "order_already_exists":
                    // An earlier attempt of this very order reached the venue.
                    return await resolve(request, &order, after: error)
                case let .rejected(status, code, message, _):
                    try? order.reject(code: code ?? "HTTP_\(status)")
                    return .finished(rejection: message ?? error.description)
                case .rateLimited where attempt < settings.rateLimitRetries:
                    bump(\.rateLimitedSubmits, "rate_limited_submits")
                    attempt += 1
                    try? await clock.sleep(for: settings.rateLimitBackoff * attempt, tolerance: nil)
                case .rateLimited:
                    bump(\.rateLimitedSubmits, "rate_limited_submits")
                    try? order.reject(code: "RATE_LIMITED")
                    return .finished(rejection: error.description)
                case .notSent:
                    try? order.reject(code: "NOT_SENT")
                    return .finished(rejection: error.description)
                case .ambiguous, .unavailable, .invalidResponse:
                    bump(\.ambiguousSubmits, "ambiguous_submits")
                    try? order.markAmbiguous()
                    return await resolve(request, &order, after: error)
                }
            } catch {
                try? order.reject(code: "UNEXPECTED")
                return .finished(rejection: "\(error)")
            }
        }
    }

    /// Finds out what the venue did with an order whose submit outcome is unknown. Only the venue's word
    /// settles it: found (then worked like any accepted order). "Not found" right after a submit is not
    /// evidence (the venue may not list it yet), so the order stays submitted and ambiguous; the
    /// execution service keeps asking until it is found or absent for the whole window (`Reconciler`).
    private func resolve(_ request: ExecutionRequest, _ order: inout OrderLifecycle, after error: KalshiAPIError) async -> SubmitOutcome {
        var answeredNotFound = 0
        for attempt in 1...max(settings.resolveAttempts, 1) {
            do {
                if let found = try await client.order(clientOrderID: request.clientOrderID, ticker: request.ticker) {
                    bump(\.resolvedByLookup, "resolved_by_lookup")
                    try? order.acknowledge(venueOrderID: found.orderID)
                    return .accepted(orderID: found.orderID, immediateFill: nil)
                }
                answeredNotFound += 1
            } catch {}
            try? await clock.sleep(for: settings.resolveBackoff * attempt, tolerance: nil)
        }
        if !order.isAmbiguous { try? order.markAmbiguous() }
        return .finished(rejection: "outcome unknown: the venue did not list \(request.clientOrderID) in \(settings.resolveAttempts) lookups "
                            + "(\(answeredNotFound) said not found) after \(error); asked again until found or absent for the whole window")
    }

    // MARK: Balance

    struct BalanceRefusal: Error {
        let code: String
        let message: String
    }

    /// Checks the (cached) balance covers the buy at its limit plus the taker fee, and reserves it.
    private func reserveBalance(_ request: ExecutionRequest) async -> Result<Dollars, BalanceRefusal> {
        let fee = request.fees.fee(count: request.count, price: request.limit, role: .taker)
        guard let cost = try? request.limit.notional(request.count, rounding: .up) + fee else {
            return .failure(BalanceRefusal(code: "COST_OVERFLOW", message: "cost of \(request.count.wireString) at \(request.limit.wireString) overflows"))
        }
        if balance == nil {
            do {
                balance = (try await client.balance().balanceDollars, clock.now)
            } catch {
                return .failure(BalanceRefusal(code: "BALANCE_UNAVAILABLE", message: "balance pre-check failed: \(error)"))
            }
        } else if let cached = balance, cached.at.duration(to: clock.now) > settings.balanceMaxAge, balanceRefresh == nil {
            // Off the order's path: this order checks against the cached figure (kept current by every
            // fill), the next ones against the venue's.
            balanceRefresh = Task { [weak self] in await self?.refreshBalance() }
        }
        let available = (try? (balance?.dollars ?? .zero) - reserved) ?? .zero
        guard cost <= available else {
            return .failure(BalanceRefusal(code: "INSUFFICIENT_BALANCE",
                                           message: "INSUFFICIENT_BALANCE: cost=\(cost.wireString) available=\(available.wireString)"))
        }
        reserved = reserved.addingSaturated(cost)
        return .success(cost)
    }

    private func refreshBalance() async {
        if let fresh = try? await client.balance().balanceDollars { balance = (fresh, clock.now) }
        balanceRefresh = nil
    }

    /// Moves the cached balance by what the order actually cost, until the next refresh.
    private func settleBalance(_ result: ExecutionResult, _ request: ExecutionRequest) {
        guard let cached = balance else { return }
        let flow = request.action == .buy ? result.notional.negated : result.notional
        // An amount beyond any balance cannot come from a real fill; the next refresh reads the venue's.
        guard let moved = try? cached.dollars + flow - result.fees else { return }
        balance = (moved, cached.at)
    }

    // MARK: Executor

    /// `cancelAll` calls so far: an order whose submission overlapped one (not tracked yet, so not
    /// cancelled by it) has its remainder cancelled as soon as it is accepted.
    var cancelAllCount = 0

    /// Cancels every order this executor is still working and returns how many the venue cancelled.
    ///
    /// A stop with many orders resting on a slow venue must not take one round trip per order: they go in
    /// batches of up to `cancelBatchSize` (`DELETE /portfolio/events/orders/batched`, the same 2 tokens per
    /// order as single cancels), `cancelConcurrency` requests at a time. An order the batch does not answer
    /// for (an error of its own, left out of the answer, or the whole request failing) is cancelled on its
    /// own, with that path's tries; a lone order goes that way from the start.
    public func cancelAll() async -> Int {
        cancelAllCount += 1
        let working = tracked.filter { !$0.value.order.state.isTerminal }.map { CancelTarget(orderID: $0.key, ticker: $0.value.request.ticker) }
        var cancelled = 0
        await withBoundedConcurrency(CancelWork.plan(working, batchSize: settings.cancelBatchSize), width: settings.cancelConcurrency,
                                     perform: { await self.perform($0) }) { outcome in
            for (orderID, answer) in outcome.answers {
                switch answer {
                case let .cancelled(response):
                    if response.reducedBy.isPositive { cancelled += 1 }
                    tracked[orderID]?.cancelAnswered = true
                case .refused: tracked[orderID]?.cancelAnswered = true
                case .unanswered: break
                }
                wake(orderID)
            }
            return outcome.onTheirOwn.map(CancelWork.single)
        }
        return cancelled
    }

    /// Orders that may be working on the venue: not final, and no cancel of theirs answered.
    public func openOrders() -> [OrderLifecycle] { tracked.values.filter { !$0.cancelAnswered && !$0.order.state.isTerminal }.map(\.order) }

    public func positions() async -> [String: Contracts] { ((try? await venuePositions()) ?? nil) ?? [:] }
}
