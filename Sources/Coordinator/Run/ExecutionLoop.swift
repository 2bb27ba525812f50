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

/// The loop of the original plan: every cycle, take the tradeable signals, best edge first, and execute
/// at most `maxSignalsPerCycle` of them through breaker → order manager → executor (markets at once, each
/// market's signals in turn); log each trade or block; a stats line every 60 cycles.
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

    /// Runs cycles until `stop()` (or cancellation); an order in flight always finishes first.
    ///
    /// A cycle runs every `cycleInterval` and also as soon as a signal arrives: latency is edge, so a
    /// signal never waits for the timer. Signals that arrive together are still sorted by edge and
    /// capped at `maxSignalsPerCycle`.
    public func run() async {
        let bell = bell
        await inbox.onArrival { bell.ring() }
        let interval = settings.cycleInterval
        let timer = Task {
            while (try? await Task.sleep(for: interval)) != nil { bell.ring() }
        }
        defer { timer.cancel() }
        while !stopping, !Task.isCancelled {
            await cycle()
            guard !stopping else { break }
            await bell.wait()
        }
    }

    /// Stops taking signals: the order in flight completes, no further one starts, `run` returns.
    public func stop() {
        stopping = true
        bell.ring()
    }

    /// One cycle: the best signals the inbox holds, at most `maxSignalsPerCycle`; the rest wait for the
    /// next cycle (deferred, never dropped); signals too old to trade are recorded as expired.
    public func cycle() async {
        stats.cycles += 1
        if let synthetic, await inbox.waiting == 0, let signal = await synthetic.next() {
            let intake = await inbox.submit(signal)
            intake.refused.forEach { log("REFUSED synthetic \($0.reason)") }
        }
        let batch = await inbox.take(settings.maxSignalsPerCycle)
        await refreshCounters(deferred: batch.deferred)
        for signal in batch.expired {
            stats.expired += 1
            log("EXPIRED \(signal.id) \(signal.ticker): older than \(inbox.settings.maxAge) when its turn came; not traded")
            record(signal, "expired")
        }
        // Orders on distinct markets run at once; one market's signals run one after another, best edge
        // first (the breaker sees every order either way).
        var markets: [String] = [], byMarket: [String: [Signal]] = [:]
        for signal in batch.tradeable {
            if byMarket[signal.ticker] == nil { markets.append(signal.ticker) }
            byMarket[signal.ticker, default: []].append(signal)
        }
        var untraded: [Signal] = []
        if markets.count == 1, let signals = byMarket[markets[0]] {
            untraded = await trade(inOrder: signals)
        } else {
            await withTaskGroup(of: [Signal].self) { group in
                for market in markets {
                    let signals = byMarket[market] ?? []
                    group.addTask { await self.trade(inOrder: signals) }
                }
                for await left in group { untraded += left }
            }
        }
        // Left `accepted` in the journal: the next start trades them if still young, else expires them.
        if !untraded.isEmpty { await inbox.putBack(untraded) }
        if stats.cycles % settings.statsEvery == 0 { log("stats \(stats.line)") }
    }

    /// One market's signals in turn; those not started because the loop is stopping.
    private func trade(inOrder signals: [Signal]) async -> [Signal] {
        for (index, signal) in signals.enumerated() {
            if stopping { return Array(signals[index...]) }
            await trade(signal)
        }
        return []
    }

    /// The counters now, the inbox's included (`stats` holds them as of the last cycle).
    public func currentStats() async -> LoopStats {
        await refreshCounters(deferred: await inbox.waiting)
        return stats
    }

    private func refreshCounters(deferred: Int) async {
        stats.deferred = deferred
        stats.signals = await inbox.received
        stats.notTraded = await inbox.notTraded
        stats.malformed = await inbox.malformed
        stats.refused = await inbox.refused
        stats.duplicates = await inbox.duplicates
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
            switch await service.execute(ticket) {
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
                if order.state == .rejected {
                    stats.rejected += 1
                    return record(signal, "rejected \(order.rejectionCode ?? "")")
                }
                if order.filled.isPositive {
                    stats.filledOrders += 1
                    stats.contractsFilled = stats.contractsFilled.addingSaturated(order.filled)
                    if case let .abort(reason)? = manager.checkSlippage(expected: ask, average: result.averagePrice) {
                        log("SLIPPAGE \(signal.id): \(reason)")
                    }
                    return record(signal, order.remaining.isPositive ? "partially_filled" : "filled")
                }
                if !order.state.isTerminal { return record(signal, "outcome_unknown") }
            }
        }
        record(signal, "unfilled")
    }
}
