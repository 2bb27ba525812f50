import Markets

/// How paper orders fill.
public enum PaperFillMode: Sendable, Hashable {
    /// Walk the live book when the simulated latency elapses (default).
    case book
    /// The classic probabilistic model.
    case random(RandomFillParameters)
}

/// The classic random model's parameters (DESIGN.md §3).
public struct RandomFillParameters: Sendable, Hashable {
    public var fillProbability = 0.85
    public var partialProbability = 0.15
    /// Share filled on a partial, in percent.
    public var partialRange: ClosedRange<Int> = 30...80
    public var slippageProbability = 0.10
    /// Worst adverse slippage in micro-dollars (2¢).
    public var maxSlippageMicros: Int64 = 20_000
    public var improvementProbability = 0.05
    public init() {}
}

/// Simulated execution: the same order lifecycle, fills, fees, cash and positions as a live run, with no
/// order leaving the process. The `book` model fills from the market-data book as it stands when the
/// simulated latency elapses, and never from a stale book.
///
/// A GTC order that does not fill at once rests, and its `execute` call works it like a venue order:
/// public trades that cross it fill it (`onTrade`) until it is full, cancelled (`cancelAll`) or
/// `orderTimeout` has passed (the remainder is cancelled). Its fills therefore come back through the one
/// path every fill takes: the execution result, journaled and counted by the execution service.
public actor PaperExecutor<C: Clock>: Executor where C.Duration == Duration {
    public struct Settings: Sendable {
        public var model: PaperFillMode = .book
        /// Simulated venue latency, uniform in this range.
        public var latency: ClosedRange<Duration> = .milliseconds(10) ... .milliseconds(50)
        public var startingCash = Dollars(micros: 10_000 * 1_000_000)
        public var seed: UInt64 = 1
        /// A resting GTC order still working after this long is cancelled (the remainder).
        public var orderTimeout: Duration = .seconds(30)
        public init() {}
    }

    /// A GTC order resting on the paper book, worked by the `execute` call that placed it.
    private struct Resting {
        var request: ExecutionRequest
        var order: OrderLifecycle
        var started: ContinuousClock.Instant
        var waiter: CheckedContinuation<Void, Never>?
        var firstFill: Duration?
        var ended: String?
    }

    private let books: any MarketDataSource
    private let clock: C
    private let settings: Settings
    private var random: SplitMix64
    public private(set) var cash: Dollars
    private var held: [String: Contracts] = [:]
    private var resting: [String: Resting] = [:]

    public init(books: any MarketDataSource, clock: C, settings: Settings = Settings()) {
        self.books = books
        self.clock = clock
        self.settings = settings
        random = SplitMix64(seed: settings.seed)
        cash = settings.startingCash
    }

    private func unit() -> Double { random.nextUnit() }

    private func latency() -> Duration {
        let low = settings.latency.lowerBound, high = settings.latency.upperBound
        return low + (high - low) * unit()
    }

    public func execute(_ request: ExecutionRequest) async -> ExecutionResult {
        let started = ContinuousClock.now
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        func finish(_ rejection: String?) -> ExecutionResult {
            result(order, rejection: rejection, started: started)
        }
        guard request.count.isPositive else {
            try? order.reject(code: "COUNT_NOT_POSITIVE")
            return finish("count must be positive")
        }
        // The same refusal a venue order gets: the limit (on the YES scale) must be on the market's price grid.
        let yesPrice = request.limit.of(request.side)
        guard request.grid.contains(yesPrice) else {
            try? order.reject(code: "PRICE_OFF_GRID")
            return finish("yes_price \(yesPrice.wireString) is not on the market's grid \(request.grid)")
        }
        try? order.markSubmitted()
        do { try await clock.sleep(for: latency(), tolerance: nil) } catch {
            try? order.cancel()
            return finish("cancelled while in flight")
        }
        switch settings.model {
        case .book: return await executeOnBook(request, &order, started: started)
        case let .random(parameters): return executeRandomly(request, parameters, &order, started: started)
        }
    }

    private func executeOnBook(_ request: ExecutionRequest, _ order: inout OrderLifecycle, started: ContinuousClock.Instant) async -> ExecutionResult {
        func result(_ order: OrderLifecycle, rejection: String?) -> ExecutionResult { self.result(order, rejection: rejection, started: started) }
        let served = await books.book(request.ticker)
        guard case let .fresh(book, _) = served else {
            let reason = served == .stale ? "book for \(request.ticker) is stale (waiting for a resync); not filling against it"
                : "no order book for \(request.ticker)"
            try? order.reject(code: "BOOK_UNAVAILABLE")
            return result(order, rejection: reason)
        }
        let walk = request.action == .buy
            ? book.walkToBuy(request.side, count: request.count, limit: request.limit)
            : book.walkToSell(request.side, count: request.count, limit: request.limit)
        if request.timeInForce == .fillOrKill, walk.filled < request.count {
            try? order.cancel()
            return result(order, rejection: nil)
        }
        if request.action == .buy {
            let cost = try? walk.notional + fee(request, walk.filled, walk.averagePrice(rounding: .up))
            guard let cost, cost <= cash else {
                try? order.reject(code: "INSUFFICIENT_PAPER_CASH")
                return result(order, rejection: "paper cash \(cash) cannot pay \(cost.map(\.description) ?? "an amount beyond any balance")")
            }
        }
        for level in walk.levels { apply(request, &order, count: level.size, price: level.price) }
        if order.remaining.isPositive {
            if request.timeInForce == .goodTillCanceled {
                try? order.acknowledge(venueOrderID: "paper-" + request.clientOrderID)
                return await work(request, order, started: started)
            }
            try? order.cancel()
        }
        return result(order, rejection: nil)
    }

    /// Works a resting GTC order until it is full, cancelled or timed out; returns its final result.
    private func work(_ request: ExecutionRequest, _ order: OrderLifecycle, started: ContinuousClock.Instant) async -> ExecutionResult {
        let id = request.clientOrderID
        let answered = started.duration(to: .now)
        resting[id] = Resting(request: request, order: order, started: started, firstFill: order.fills.isEmpty ? nil : answered)
        let clock = clock, deadline = clock.now.advanced(by: settings.orderTimeout), timeout = settings.orderTimeout
        let timer = Task { [weak self] in
            do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return }
            await self?.end(id, "timed out after \(timeout); remainder cancelled")
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if resting[id]?.ended != nil || resting[id]?.order.remaining.isPositive != true { continuation.resume() } else {
                resting[id]?.waiter = continuation
            }
        }
        timer.cancel()
        guard var entry = resting.removeValue(forKey: id) else { return result(order, rejection: nil, started: started) }
        if entry.order.remaining.isPositive { try? entry.order.cancel() }
        let timing = ExecutionTiming(acknowledged: answered, firstFill: entry.firstFill)
        let reason = entry.order.remaining.isPositive ? entry.ended : nil
        return ExecutionResult(entry.order, rejection: reason, timing: timing)
    }

    /// Ends a resting order's work (timeout, cancel): its `execute` call returns.
    private func end(_ id: String, _ reason: String) {
        guard resting[id] != nil else { return }
        if resting[id]?.ended == nil { resting[id]?.ended = reason }
        let waiter = resting[id]?.waiter
        resting[id]?.waiter = nil
        waiter?.resume()
    }

    private func executeRandomly(_ request: ExecutionRequest, _ p: RandomFillParameters, _ order: inout OrderLifecycle,
                                 started: ContinuousClock.Instant) -> ExecutionResult {
        func result(_ order: OrderLifecycle, rejection: String?) -> ExecutionResult { self.result(order, rejection: rejection, started: started) }
        guard unit() < p.fillProbability else {
            try? order.cancel()
            return result(order, rejection: nil)
        }
        var count = request.count
        if unit() < p.partialProbability {
            let percent = Int64(p.partialRange.lowerBound + Int(random.next() % UInt64(p.partialRange.count)))
            count = Contracts(hundredths: max(1, Int64(clamping: Int128(request.count.hundredths) * Int128(percent) / 100)))
        }
        var micros = request.limit.micros
        let adverse: Int64 = request.action == .buy ? 1 : -1
        if unit() < p.slippageProbability {
            micros += adverse * Int64(unit() * Double(p.maxSlippageMicros))
        } else if unit() < p.improvementProbability {
            micros -= adverse * 10_000
        }
        let price = Price(micros: min(max(micros, 10_000), 990_000)) ?? request.limit
        apply(request, &order, count: count, price: price)
        if order.remaining.isPositive { try? order.cancel() }
        return result(order, rejection: nil)
    }

    private func fee(_ request: ExecutionRequest, _ count: Contracts, _ average: Dollars?) -> Dollars {
        guard let average, let price = Price(average) else { return .zero }
        return request.fees.fee(count: count, price: price, role: .taker)
    }

    /// One fill: lifecycle, cash (cost or proceeds and the taker fee), position.
    private func apply(_ request: ExecutionRequest, _ order: inout OrderLifecycle, count: Contracts, price: Price) {
        let fee = request.fees.fee(count: count, price: price, role: .taker)
        // Unique across runs (the journal keys fills by id): the order's own id plus its fill number.
        let fill = ExecutionFill(fillID: "\(request.clientOrderID)-paper-\(order.fills.count + 1)", count: count, price: price, fee: fee,
                                 role: .taker, timestampNanoseconds: 0)
        guard (try? order.apply(fill)) == .applied else { return }
        let notional = (try? price.notional(count, rounding: request.action == .buy ? .up : .down)) ?? .zero
        let flow = request.action == .buy ? notional.negated : notional
        cash = ((try? cash + flow - fee) ?? cash)
        let change = Contracts(hundredths: request.action.positionSign(on: request.side) * count.hundredths)
        let position = (held[request.ticker] ?? .zero).addingSaturated(change)
        held[request.ticker] = position == .zero ? nil : position
    }

    /// A public trade at `yesPrice`: resting paper orders it crosses fill (up to the traded size, oldest
    /// order id first), each at its own limit; a full order's `execute` call returns.
    public func onTrade(ticker: String, yesPrice: Price, count: Contracts) {
        var available = count.hundredths
        for id in resting.keys.sorted() where available > 0 {
            guard var entry = resting[id], entry.request.ticker == ticker, entry.ended == nil else { continue }
            // The trade's price in the order's outcome; a buy fills when the market trades at or below it.
            let tradePrice = yesPrice.of(entry.request.side)
            let crosses = entry.request.action == .buy ? tradePrice <= entry.request.limit : tradePrice >= entry.request.limit
            guard crosses else { continue }
            let size = Contracts(hundredths: min(entry.order.remaining.hundredths, available))
            available -= size.hundredths
            apply(entry.request, &entry.order, count: size, price: entry.request.limit)
            if entry.firstFill == nil { entry.firstFill = entry.started.duration(to: .now) }
            resting[id] = entry
            if !entry.order.remaining.isPositive { end(id, "filled") }
        }
    }

    private func result(_ order: OrderLifecycle, rejection: String?, started: ContinuousClock.Instant) -> ExecutionResult {
        // The simulated venue answers (acknowledges and fills) when the latency elapses.
        let answered = started.duration(to: .now)
        let timing = ExecutionTiming(acknowledged: order.state == .rejected ? nil : answered, firstFill: order.fills.isEmpty ? nil : answered)
        return ExecutionResult(order, rejection: rejection, timing: timing)
    }

    /// Cancels every resting order; each one's `execute` call returns with what filled.
    public func cancelAll() -> Int {
        let working = resting.filter { $0.value.ended == nil }.map(\.key)
        for id in working { end(id, "cancelled") }
        return working.count
    }

    public func openOrders() -> [OrderLifecycle] { resting.values.filter { $0.ended == nil }.map(\.order) }

    public func positions() -> [String: Contracts] { held }

    /// Restores positions (from the journal, at start-up).
    public func restore(positions: [String: Contracts]) { held = positions.filter { $0.value != .zero } }
}
