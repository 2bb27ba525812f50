import DataClient
import Execution
import Foundation
import Markets

/// Counters of a run, printed every 60 cycles and at the end.
public struct LoopStats: Sendable, Hashable, Codable {
    public var cycles = 0
    /// Signals accepted (journaled) by this run, from every source.
    public var signals = 0
    public var notTraded = 0
    /// Signals waiting for a cycle with room (deferred, never dropped).
    public var deferred = 0
    /// Signals refused because the inbox was full or the journal could not take them.
    public var refused = 0
    /// Signals refused because their `signal_id` was already accepted (this run or an earlier one).
    public var duplicates = 0
    /// Signals too old (`SIGNAL_MAX_AGE_MS`) when their turn came: recorded, not traded.
    public var expired = 0
    public var orders = 0
    public var filledOrders = 0
    public var contractsFilled = Contracts.zero
    public var notional = Dollars.zero
    public var fees = Dollars.zero
    public var denied = 0
    public var rejected = 0
    public var aborted = 0
    public var malformed = 0

    public var line: String {
        "cycles=\(cycles) signals=\(signals) orders=\(orders) filled_orders=\(filledOrders) contracts=\(contractsFilled.wireString) "
            + "notional=\(notional.wireString) fees=\(fees.wireString) denied=\(denied) rejected=\(rejected) aborted=\(aborted) "
            + "not_traded=\(notTraded) deferred=\(deferred) expired=\(expired) refused=\(refused) duplicates=\(duplicates) malformed=\(malformed)"
    }
}

/// The loop of the original plan, pipelined: every cycle takes the tradeable signals, best edge first
/// (at most `maxSignalsPerCycle` waiting in the loop), and executes them through breaker → order manager
/// → executor, markets at once, each market's signals in turn, without waiting for the orders of the
/// cycle before; logs each trade or block; a stats line every 60 cycles.
public actor ExecutionLoop {
    public struct Settings: Sendable {
        public var cycleInterval: Duration = .seconds(1)
        public var maxSignalsPerCycle = 3
        public var pricing = OrderPricingPolicy()
        public var statsEvery = 60
        public init() {}
    }

    private let inbox: SignalInbox
    private let service: ExecutionService
    private let catalog: MarketCatalog
    private let synthetic: SyntheticSignalSource?
    private let settings: Settings
    private let log: @Sendable (String) -> Void
    private let manager: OrderManager
    public private(set) var stats = LoopStats()
    private var orderCounter = 0
    private let runID: String
    /// Subscribes the data feed to a market's book before its first order (paper fills need the book).
    private let books: BookWatcher?

    public init(inbox: SignalInbox, service: ExecutionService, catalog: MarketCatalog, synthetic: SyntheticSignalSource? = nil,
                settings: Settings = Settings(), log: @escaping @Sendable (String) -> Void, books: BookWatcher? = nil) {
        self.books = books
        self.inbox = inbox
        self.service = service
        self.catalog = catalog
        self.synthetic = synthetic
        self.settings = settings
        self.log = log
        manager = OrderManager(policy: settings.pricing)
        runID = String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36)
    }

    private var stopping = false
    /// Rung by a signal's arrival, the cycle timer and `stop`.
    private let bell = Doorbell()

    /// Runs cycles until `stop()` (or cancellation); the orders in flight always finish first.
    ///
    /// A cycle runs every `cycleInterval` and also as soon as a signal arrives or a market's order ends:
    /// latency is edge, so a signal never waits for the timer. Signals that arrive together are still
    /// sorted by edge, and at most `maxSignalsPerCycle` wait in the loop behind orders in flight (the rest
    /// wait in the inbox, where the age limit applies). A cycle does not wait for the orders it started:
    /// each market's signals run one after another in a chain of their own, and a new signal joins its
    /// market's chain or starts one. (Waiting for every order of a cycle before taking the next signals
    /// held every market behind the slowest order: at 1,800 signals/s the wait before the executor grew
    /// past 100 ms with the client at 1.3 of 2 cores.)
    public func run() async {
        let bell = bell
        await inbox.onArrival { bell.ring() }
        let interval = settings.cycleInterval
        let timer = Task {
            while (try? await Task.sleep(for: interval)) != nil { bell.ring() }
        }
        defer { timer.cancel() }
        while !stopping, !Task.isCancelled {
            await launchCycle()
            guard !stopping else { break }
            await bell.wait()
        }
        await untilIdle()
    }

    /// Stops taking signals: the orders in flight complete, no further one starts, `run` returns.
    public func stop() {
        stopping = true
        bell.ring()
    }

    /// One cycle, run to its end: its signals' orders have all finished when it returns (tests step the
    /// loop with it; `run` does not wait).
    public func cycle() async {
        await launchCycle()
        await untilIdle()
    }

    /// Markets with an order in flight: the chain running there, and the signals waiting behind it.
    private var chains: [String: Task<Void, Never>] = [:]
    private var queued: [String: [Signal]] = [:]
    private var queuedCount = 0
    /// Signals the inbox still held at the last take: an order's end rings for a cycle only if some wait.
    private var deferredAtLastTake = 0
    /// Whether a cycle takes signals: no more than half of `maxSignalsPerCycle` wait in the loop (see `launchCycle`).
    private var hasRoom: Bool { queuedCount <= settings.maxSignalsPerCycle / 2 }
    /// Whether a cycle would take signals the inbox deferred.
    private var hasRoomForDeferred: Bool { deferredAtLastTake > 0 && hasRoom }
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// Takes the best signals the inbox holds while fewer than `maxSignalsPerCycle` wait in the loop, and
    /// starts each (or queues it behind its market's order); signals too old to trade are recorded as
    /// expired. Returns without waiting for the orders.
    private func launchCycle() async {
        stats.cycles += 1
        if let synthetic, await inbox.waiting == 0, let signal = await synthetic.next() {
            let intake = await inbox.submit(signal)
            intake.refused.forEach { log("REFUSED synthetic \($0.reason)") }
        }
        // Taken in chunks: a take scans every signal the inbox holds (ages, edge order), so with a
        // backlog, taking one signal per order's end cost more CPU than the orders saved.
        guard hasRoom else {
            deferredAtLastTake = max(deferredAtLastTake, 1)  // a signal may wait: the next order to end rings
            return
        }
        let batch = await inbox.take(settings.maxSignalsPerCycle - queuedCount)
        deferredAtLastTake = batch.deferred
        refreshCounters(deferred: batch.deferred, batch.counters)
        for signal in batch.expired {
            stats.expired += 1
            log("EXPIRED \(signal.id) \(signal.ticker): older than \(inbox.settings.maxAge) when its turn came; not traded")
            record(signal, "expired")
        }
        // Orders on distinct markets run at once; one market's signals run one after another, best edge
        // first (the breaker sees every order either way).
        for signal in batch.tradeable {
            if chains[signal.ticker] == nil {
                chains[signal.ticker] = Task { await self.runChain(from: signal) }
            } else {
                var waiting = queued[signal.ticker, default: []]
                waiting.insert(signal, at: waiting.firstIndex { $0.edge < signal.edge } ?? waiting.endIndex)
                queued[signal.ticker] = waiting
                queuedCount += 1
            }
        }
        if stats.cycles % settings.statsEvery == 0 { log("stats \(stats.line)") }
    }

    /// A market's signals in turn, from `first` until none waits. When the loop is stopping, those not
    /// started go back to the inbox (left `accepted` in the journal: the next start trades them if still
    /// young, else expires them).
    private func runChain(from first: Signal) async {
        let ticker = first.ticker
        var next: Signal? = first
        while let signal = next {
            if stopping {
                let waiting = queued.removeValue(forKey: ticker) ?? []
                queuedCount -= waiting.count
                await inbox.putBack([signal] + waiting)
                break
            }
            await trade(signal)
            next = nil
            if var waiting = queued[ticker], !waiting.isEmpty {
                next = waiting.removeFirst()
                queued[ticker] = waiting
                queuedCount -= 1
                if hasRoomForDeferred { bell.ring() }
            }
        }
        queued[ticker] = nil
        chains[ticker] = nil
        if hasRoomForDeferred { bell.ring() }
        if chains.isEmpty {
            let waiters = idleWaiters
            idleWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Returns once no order of the loop is in flight.
    private func untilIdle() async {
        guard !chains.isEmpty else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// The counters now, the inbox's included (`stats` holds them as of the last cycle).
    public func currentStats() async -> LoopStats {
        refreshCounters(deferred: await inbox.waiting, await inbox.counters)
        return stats
    }

    private func refreshCounters(deferred: Int, _ counters: SignalInbox.Counters) {
        stats.deferred = deferred
        stats.signals = counters.received
        stats.notTraded = counters.notTraded
        stats.malformed = counters.malformed
        stats.refused = counters.refused
        stats.duplicates = counters.duplicates
    }

    /// A signal's outcome in the journal: with the next batch of signal rows on the journal's own thread
    /// (`Journal.setSignalStatusSoon`); the market's next signal does not wait for the commit.
    private func record(_ signal: Signal, _ status: String) {
        service.journal.setSignalStatusSoon([signal.id], status)
    }

    private func nextClientOrderID(_ signal: Signal, attempt: Int) -> String {
        orderCounter += 1
        return "\(runID)-\(orderCounter)-\(signal.id.prefix(40))-a\(attempt)"
    }

    /// One signal: priced by the order manager, retried with bounded improvement while nothing fills.
    private func trade(_ signal: Signal) async {
        let signalAt = signal.arrivedAt
        guard let market = await catalog.info(signal.ticker) else {
            stats.aborted += 1
            log("BLOCK \(signal.id) \(signal.ticker): market not listed on the trading venue")
            return record(signal, "market_not_found")
        }
        guard market.isOpen else {
            stats.aborted += 1
            log("BLOCK \(signal.id) \(signal.ticker): market is \(market.status) on the trading venue")
            return record(signal, "market_not_open")
        }
        guard let ask = signal.ask else { return record(signal, "no_ask") }
        if let books { await books.ensure(signal.ticker) }
        let input = PricingInput(side: signal.side, ask: ask, edge: signal.edge, grid: market.grid)
        for attempt in 0...settings.pricing.maxRetries {
            if stopping, attempt > 0 { return record(signal, "unfilled_shutdown") }
            let limit: Price
            switch manager.limit(for: input, attempt: attempt) {
            case let .order(price): limit = price
            case let .abort(reason):
                stats.aborted += 1
                log("ABORT \(signal.id) \(signal.ticker): \(reason)")
                return record(signal, attempt == 0 ? "aborted" : "unfilled")
            }
            let request = ExecutionRequest(clientOrderID: nextClientOrderID(signal, attempt: attempt), signalID: signal.id, ticker: signal.ticker,
                                           seriesTicker: market.seriesTicker, action: .buy, side: signal.side, limit: limit,
                                           count: signal.contracts, timeInForce: .immediateOrCancel, grid: market.grid)
            let ticket = OrderTicket(request: request, eventTicker: market.eventTicker, expectedPrice: ask, signalAt: signalAt, edge: signal.edge)
            switch await service.execute(ticket, inCallersTask: true) {
            case let .denied(denial):
                stats.denied += 1
                log("BLOCK \(signal.id) \(signal.ticker): \(denial)")
                return record(signal, "denied \(denial.code)")
            case let .refused(reason):
                stats.aborted += 1
                log("REFUSED \(signal.id) \(signal.ticker): \(reason)")
                return record(signal, "refused")
            case let .executed(result):
                stats.orders += 1
                stats.fees = stats.fees.addingSaturated(result.fees)
                stats.notional = stats.notional.addingSaturated(result.notional)
                let order = result.order
                log("TRADE \(signal.id) \(signal.action.rawValue) \(signal.ticker) \(signal.contracts.wireString) @ \(limit.wireString) → "
                    + "\(order.state.rawValue) filled=\(order.filled.wireString)"
                    + (result.averagePrice.map { " avg=\($0.wireString)" } ?? "") + " fees=\(result.fees.wireString)"
                    + (result.slippage.map { " slippage=\($0.wireString)" } ?? "") + (result.potentialProfit.map { " potential=\($0.wireString)" } ?? "")
                    + (result.rejection.map { " (\($0))" } ?? ""))
                if order.state == .rejected { stats.rejected += 1 }
                if order.filled.isPositive {
                    stats.filledOrders += 1
                    stats.contractsFilled = stats.contractsFilled.addingSaturated(order.filled)
                    if case let .abort(reason)? = manager.checkSlippage(expected: ask, average: result.averagePrice) {
                        log("SLIPPAGE \(signal.id): \(reason)")
                    }
                }
                if let status = Self.signalStatus(state: order.state, filled: order.filled, requested: order.requested,
                                                  rejectionCode: order.rejectionCode, ambiguous: order.isAmbiguous) {
                    return record(signal, status)
                }
            }
        }
        record(signal, "unfilled")
    }

    /// What a signal's order came to, as the signal's journaled status; `nil` when it ended with nothing
    /// filled (the loop may try again at a new price, else the signal is `unfilled`). Fills read so far are
    /// not the outcome of an order the venue has not finished telling about: that one is `outcome_unknown`.
    static func signalStatus(state: OrderState, filled: Contracts, requested: Contracts, rejectionCode: String?, ambiguous: Bool) -> String? {
        if state == .rejected { return "rejected \(rejectionCode ?? "")" }
        if !state.isTerminal, ambiguous || filled == .zero { return "outcome_unknown" }
        if filled.isPositive { return filled < requested ? "partially_filled" : "filled" }
        return nil
    }
}
