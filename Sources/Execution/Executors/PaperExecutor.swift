import DataClient
import KalshiWire
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
public actor PaperExecutor<C: Clock>: Executor where C.Duration == Duration {
    public struct Settings: Sendable {
        public var model: PaperFillMode = .book
        /// Simulated venue latency, uniform in this range.
        public var latency: ClosedRange<Duration> = .milliseconds(10) ... .milliseconds(50)
        public var startingCash = Dollars(micros: 10_000 * 1_000_000)
        public var seed: UInt64 = 1
        public init() {}
    }

    private let books: any MarketDataSource
    private let clock: C
    private let settings: Settings
    private var random: SplitMix64
    public private(set) var cash: Dollars
    private var held: [String: Contracts] = [:]
    private var resting: [String: (request: ExecutionRequest, order: OrderLifecycle)] = [:]
    private var startedAt: ContinuousClock.Instant?

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
        startedAt = ContinuousClock.now
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        func finish(_ rejection: String?) -> ExecutionResult {
            result(order, rejection: rejection)
        }
        guard request.count.isPositive else {
            try? order.reject(code: "COUNT_NOT_POSITIVE")
            return finish("count must be positive")
        }
        // The same refusal a venue order gets: the limit must be on the market's price grid.
        let quote = KalshiV2Quote(action: request.action, side: request.side, price: request.limit)
        guard request.grid.contains(quote.yesPrice) else {
            try? order.reject(code: "PRICE_OFF_GRID")
            return finish("yes_price \(quote.yesPrice.wireString) is not on the market's grid \(request.grid)")
        }
        try? order.markSubmitted()
        do { try await clock.sleep(for: latency(), tolerance: nil) } catch {
            try? order.cancel()
            return finish("cancelled while in flight")
        }
        switch settings.model {
        case .book: return await executeOnBook(request, &order)
        case let .random(parameters): return executeRandomly(request, parameters, &order)
        }
    }

    private func executeOnBook(_ request: ExecutionRequest, _ order: inout OrderLifecycle) async -> ExecutionResult {
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
            let cost = walk.notional.micros + fee(request, walk.filled, walk.averagePrice(rounding: .up)).micros
            guard cost <= cash.micros else {
                try? order.reject(code: "INSUFFICIENT_PAPER_CASH")
                return result(order, rejection: "paper cash \(cash) cannot pay \(Dollars(micros: cost))")
            }
        }
        for level in walk.levels { apply(request, &order, count: level.size, price: level.price) }
        if order.remaining.isPositive {
            if request.timeInForce == .goodTillCanceled {
                try? order.acknowledge(venueOrderID: "paper-" + request.clientOrderID)
                resting[request.clientOrderID] = (request, order)
            } else {
                try? order.cancel()
            }
        }
        return result(order, rejection: nil)
    }

    private func executeRandomly(_ request: ExecutionRequest, _ p: RandomFillParameters, _ order: inout OrderLifecycle) -> ExecutionResult {
        guard unit() < p.fillProbability else {
            try? order.cancel()
            return result(order, rejection: nil)
        }
        var count = request.count
        if unit() < p.partialProbability {
            let percent = Int64(p.partialRange.lowerBound + Int(random.next() % UInt64(p.partialRange.count)))
            count = Contracts(hundredths: max(1, request.count.hundredths * percent / 100))
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
        return KalshiFees.estimate(rate: KalshiFees.rate(seriesTicker: request.seriesTicker, role: .taker), count: count, price: price)
    }

    /// One fill: lifecycle, cash (cost or proceeds and the taker fee), position.
    private func apply(_ request: ExecutionRequest, _ order: inout OrderLifecycle, count: Contracts, price: Price) {
        let fee = KalshiFees.estimate(rate: KalshiFees.rate(seriesTicker: request.seriesTicker, role: .taker), count: count, price: price)
        // Unique across runs (the journal keys fills by id): the order's own id plus its fill number.
        let fill = ExecutionFill(fillID: "\(request.clientOrderID)-paper-\(order.fills.count + 1)", count: count, price: price, fee: fee,
                                 role: .taker, timestampNanoseconds: 0)
        guard (try? order.apply(fill)) == .applied else { return }
        let notional = (try? price.notional(count, rounding: request.action == .buy ? .up : .down)) ?? .zero
        cash = Dollars(micros: cash.micros + (request.action == .buy ? -notional.micros : notional.micros) - fee.micros)
        let position = (held[request.ticker]?.hundredths ?? 0) + request.action.positionSign(on: request.side) * count.hundredths
        held[request.ticker] = position == 0 ? nil : Contracts(hundredths: position)
    }

    /// A public trade at `yesPrice`: resting paper orders it crosses fill (up to the traded size).
    public func onTrade(ticker: String, yesPrice: Price, count: Contracts) {
        var available = count.hundredths
        for (id, entry) in resting.sorted(by: { $0.key < $1.key }) where entry.request.ticker == ticker && available > 0 {
            var (request, order) = entry
            // The trade's price in the order's outcome; a buy fills when the market trades at or below it.
            let tradePrice = yesPrice.of(request.side)
            let crosses = request.action == .buy ? tradePrice <= request.limit : tradePrice >= request.limit
            guard crosses else { continue }
            let size = Contracts(hundredths: min(order.remaining.hundredths, available))
            available -= size.hundredths
            apply(request, &order, count: size, price: request.limit)
            resting[id] = order.remaining.isPositive ? (request, order) : nil
        }
    }

    private func result(_ order: OrderLifecycle, rejection: String?) -> ExecutionResult {
        // The simulated venue answers (acknowledges and fills) when the latency elapses.
        let answered = startedAt.map { $0.duration(to: ContinuousClock.now) }
        let timing = ExecutionTiming(acknowledged: order.state == .rejected ? nil : answered, firstFill: order.fills.isEmpty ? nil : answered)
        return ExecutionResult(order, rejection: rejection, timing: timing)
    }

    public func cancelAll() -> Int {
        let count = resting.count
        resting.removeAll()
        return count
    }

    public func openOrders() -> [OrderLifecycle] { resting.values.map(\.order) }

    public func positions() -> [String: Contracts] { held }

    /// Restores positions (from the journal, at start-up).
    public func restore(positions: [String: Contracts]) { held = positions.filter { $0.value != .zero } }
}
