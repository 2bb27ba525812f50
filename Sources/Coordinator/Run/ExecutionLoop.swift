import DataClient
import Execution
import Foundation
import Markets

/// Counters of a run, printed every 60 cycles and at the end.
public struct LoopStats: Sendable, Hashable, Codable {
    public var cycles = 0
    public var signals = 0
    public var notTraded = 0
    public var dropped = 0
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
            + "not_traded=\(notTraded) dropped=\(dropped) malformed=\(malformed)"
    }
}

/// The loop of the original plan: every cycle, take the tradeable signals, best edge first, and execute
/// at most `maxSignalsPerCycle` of them through breaker → order manager → executor; log each trade or
/// block; a stats line every 60 cycles.
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
    private let watch: (@Sendable (String) async -> Void)?
    private var watched: Set<String> = []

    public init(inbox: SignalInbox, service: ExecutionService, catalog: MarketCatalog, synthetic: SyntheticSignalSource? = nil,
                settings: Settings = Settings(), log: @escaping @Sendable (String) -> Void, watch: (@Sendable (String) async -> Void)? = nil) {
        self.watch = watch
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

    /// One cycle.
    public func cycle() async {
        stats.cycles += 1
        var signals = await inbox.drain()
        if let synthetic, let signal = await synthetic.next() { signals.append(signal) }
        stats.signals += signals.count
        stats.malformed = await inbox.malformed
        var tradeable: [Signal] = []
        for signal in signals {
            if signal.shouldTrade { tradeable.append(signal) } else {
                stats.notTraded += 1
                record(signal, "not_traded")
            }
        }
        tradeable.sort { $0.edge > $1.edge }
        for (index, signal) in tradeable.enumerated() {
            if stopping {
                record(signal, "not_traded_shutdown")
                continue
            }
            if index < settings.maxSignalsPerCycle { await trade(signal) } else {
                stats.dropped += 1
                record(signal, "dropped_cycle_full")
            }
        }
        if stats.cycles % settings.statsEvery == 0 { log("stats \(stats.line)") }
    }

    private func record(_ signal: Signal, _ status: String) {
        try? service.journal.recordSignal(id: signal.id, receivedNanoseconds: ExecutionService.systemWallClock(), payload: signal.payload,
                                          shouldTrade: signal.shouldTrade, status: status)
    }

    private func nextClientOrderID(_ signal: Signal, attempt: Int) -> String {
        orderCounter += 1
        return "\(runID)-\(orderCounter)-\(signal.id.prefix(40))-a\(attempt)"
    }

    /// One signal: priced by the order manager, retried with bounded improvement while nothing fills.
    private func trade(_ signal: Signal) async {
        let signalAt = ContinuousClock.now
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
        if let watch, watched.insert(signal.ticker).inserted { await watch(signal.ticker) }
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
                stats.fees = Dollars(micros: stats.fees.micros + result.fees.micros)
                stats.notional = Dollars(micros: stats.notional.micros + result.notional.micros)
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
                    stats.contractsFilled = Contracts(hundredths: stats.contractsFilled.hundredths + order.filled.hundredths)
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
