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
///
/// What the book model assumes (`run-executor fidelity` measures it against a venue):
/// - The venue answers after `latency`; the order meets the book as it is then.
/// - Price-time priority. A resting order joins the back of its price level: the size displayed there when
///   it rests is ahead of it, shrinks with trades at that price and with cancellations (never more than
///   what is still displayed), and only trades beyond it fill the order. A trade through the price fills it.
///   A new quote that crosses a resting order fills it at the order's price (`onBook`).
/// - Self-impact: liquidity the paper orders took stays gone for them while the data venue still shows
///   it (until that level empties on the data venue): the next order does not take it twice.
/// - Self-trade prevention as the venue applies it (`taker_at_cross`): a taking order stops short of the
///   run's own resting orders on the other side.
/// - Fees are the venue's taker fee for every fill (a conservative choice for resting fills).
public actor PaperExecutor<C: Clock>: Executor where C.Duration == Duration {
    public struct Settings: Sendable {
        public var model: PaperFillMode = .book
        /// Simulated venue latency, uniform in this range.
        public var latency: ClosedRange<Duration> = .milliseconds(10) ... .milliseconds(50)
        public var startingCash = Dollars(micros: 10_000 * 1_000_000)
        public var seed: UInt64 = 1
        /// A resting GTC order still working after this long is cancelled (the remainder).
        public var orderTimeout: Duration = .seconds(30)
        /// Queue position, self-impact and self-trade prevention (see the type's notes); `false` is the
        /// older optimistic model (a resting order fills on any trade at its price).
        public var modelsQueue = true
        public init() {}
    }

    /// A price level of the book's bids: `side`'s bids at `price` (in `side`'s terms).
    struct Level: Hashable {
        var side: OutcomeSide
        var price: Price
    }

    /// A GTC order resting on the paper book, worked by the `execute` call that placed it.
    private struct Resting {
        var request: ExecutionRequest
        var order: OrderLifecycle
        var started: ContinuousClock.Instant
        var waiter: CheckedContinuation<Void, Never>?
        var firstFill: Duration?
        var ended: String?
        /// Where the order rests in the book's bids, and the size ahead of it there (hundredths).
        var level: Level
        var queueAhead: Int64
    }

    private let books: any MarketDataSource
    private let clock: C
    private let settings: Settings
    private var random: SplitMix64
    public private(set) var cash: Dollars
    private var held: [String: Contracts] = [:]
    private var resting: [String: Resting] = [:]
    /// Per market, liquidity the paper orders took that the data venue may still display (hundredths).
    private var taken: [String: [Level: Int64]] = [:]

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
        let view = settings.modelsQueue ? stoppingAtOwnOrders(withoutTaken(book), request) : book
        let walk = request.action == .buy
            ? view.walkToBuy(request.side, count: request.count, limit: request.limit)
            : view.walkToSell(request.side, count: request.count, limit: request.limit)
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
        for level in walk.levels {
            apply(request, &order, count: level.size, price: level.price)
            if settings.modelsQueue { take(request.ticker, Self.bookLevel(of: request, at: level.price, taking: true), level.size.hundredths) }
        }
        if order.remaining.isPositive {
            if request.timeInForce == .goodTillCanceled {
                try? order.acknowledge(venueOrderID: "paper-" + request.clientOrderID)
                let level = Self.bookLevel(of: request, at: request.limit, taking: false)
                // Ahead of it: what the venue displays at its price, less what this run's orders took there.
                let ahead = settings.modelsQueue ? withoutTaken(book).bidSize(level.side, at: level.price).hundredths : 0
                return await work(request, order, started: started, level: level, queueAhead: ahead)
            }
            try? order.cancel()
        }
        return result(order, rejection: nil)
    }

    /// Works a resting GTC order until it is full, cancelled or timed out; returns its final result.
    private func work(_ request: ExecutionRequest, _ order: OrderLifecycle, started: ContinuousClock.Instant, level: Level,
                      queueAhead: Int64) async -> ExecutionResult {
        let id = request.clientOrderID
        let answered = started.duration(to: .now)
        resting[id] = Resting(request: request, order: order, started: started, firstFill: order.fills.isEmpty ? nil : answered, level: level,
                              queueAhead: queueAhead)
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

    /// A public trade at `yesPrice` (`takerSide`: the YES book side of the taker, when the venue says): resting
    /// paper orders whose bids it hits fill, oldest order id first, each at its own limit, once the size
    /// queued ahead of them at their price is used up (a trade through their price fills them outright);
    /// a full order's `execute` call returns.
    public func onTrade(ticker: String, yesPrice: Price, count: Contracts, takerSide: BookSide? = nil) async {
        guard resting.values.contains(where: { $0.request.ticker == ticker && $0.ended == nil }) else { return }
        let current: OrderBook?
        if settings.modelsQueue, case let .fresh(book, _) = await books.book(ticker) { current = book } else { current = nil }
        // A trade can leave the rest of a crossing offer displayed (what the order would have met first).
        defer { if let current { fillCrossed(ticker, current) } }
        var available = count.hundredths
        for id in resting.keys.sorted() where available > 0 {
            guard var entry = resting[id], entry.request.ticker == ticker, entry.ended == nil else { continue }
            let level = entry.level
            // A seller hits YES bids (taker on the ask side); NO bids are hit by YES buyers.
            if settings.modelsQueue, let takerSide, takerSide != (level.side == .yes ? .ask : .bid) { continue }
            let tradePrice = yesPrice.of(level.side)
            guard tradePrice <= level.price else { continue }
            var usable = available
            if settings.modelsQueue {
                if tradePrice == level.price {
                    let queued = min(entry.queueAhead, usable)
                    entry.queueAhead -= queued
                    usable -= queued
                } else {
                    entry.queueAhead = 0
                }
            }
            let size = min(entry.order.remaining.hundredths, usable)
            resting[id] = entry
            guard size > 0 else { continue }
            available -= size
            fillResting(id, Contracts(hundredths: size))
        }
    }

    /// The data venue's book of `ticker` changed: a quote that now crosses a resting paper order would have
    /// traded with it on the venue (after the size queued ahead of it), at the order's price.
    public func onBook(ticker: String) async {
        guard settings.modelsQueue, resting.values.contains(where: { $0.request.ticker == ticker && $0.ended == nil }),
              case let .fresh(book, _) = await books.book(ticker) else { return }
        shrinkQueues(ticker, book)
        fillCrossed(ticker, book)
    }

    /// Resting orders that the book's offers now cross fill from them, after the size queued ahead.
    private func fillCrossed(_ ticker: String, _ book: OrderBook) {
        let view = withoutTaken(book)
        for id in resting.keys.sorted() {
            guard let entry = resting[id], entry.request.ticker == ticker, entry.ended == nil else { continue }
            let level = entry.level
            // Offers of `level.side` are the other side's bids, complemented.
            let crossing = view.walkToBuy(level.side, count: Contracts(hundredths: entry.order.remaining.hundredths + entry.queueAhead), limit: level.price)
            let size = crossing.filled.hundredths - entry.queueAhead
            guard size > 0 else { continue }
            resting[id]?.queueAhead = 0
            var left = size
            for offer in crossing.levels.reversed() where left > 0 {
                let used = min(left, offer.size.hundredths)
                take(ticker, Level(side: level.side.opposite, price: offer.price.complement), used)
                left -= used
            }
            fillResting(id, Contracts(hundredths: size))
        }
    }

    /// One fill of a resting order at its limit.
    private func fillResting(_ id: String, _ size: Contracts) {
        guard var entry = resting[id] else { return }
        apply(entry.request, &entry.order, count: size, price: entry.request.limit)
        if entry.firstFill == nil { entry.firstFill = entry.started.duration(to: .now) }
        resting[id] = entry
        if !entry.order.remaining.isPositive { end(id, "filled") }
    }

    /// Size ahead of a resting order never exceeds what the venue still displays at its price (less what
    /// this run took there).
    private func shrinkQueues(_ ticker: String, _ book: OrderBook) {
        let view = withoutTaken(book)
        for (id, entry) in resting where entry.request.ticker == ticker && entry.queueAhead > 0 {
            resting[id]?.queueAhead = min(entry.queueAhead, view.bidSize(entry.level.side, at: entry.level.price).hundredths)
        }
    }

    /// Where `request` sits in (or takes from) the book's bids: a buy of S at p rests as an S bid at p and
    /// takes from the other side's bids at 1 − p; a sell of S at p rests as a bid of the other side at 1 − p
    /// and takes from S's bids at p.
    static func bookLevel(of request: ExecutionRequest, at price: Price, taking: Bool) -> Level {
        let own = request.action == .buy ? Level(side: request.side, price: price) : Level(side: request.side.opposite, price: price.complement)
        guard taking else { return own }
        return Level(side: own.side.opposite, price: own.price.complement)
    }

    private func take(_ ticker: String, _ level: Level, _ hundredths: Int64) {
        taken[ticker, default: [:]][level, default: 0] += hundredths
    }

    /// The book without the liquidity paper orders already took; a level the venue emptied since is
    /// forgotten (what replaced it is new liquidity).
    private func withoutTaken(_ book: OrderBook) -> OrderBook {
        guard var used = taken[book.ticker], !used.isEmpty else { return book }
        func adjusted(_ side: OutcomeSide) -> [BookLevel] {
            book.bids(side).compactMap { level in
                guard let gone = used[Level(side: side, price: level.price)] else { return level }
                let left = level.size.hundredths - gone
                return left > 0 ? BookLevel(price: level.price, size: Contracts(hundredths: left)) : nil
            }
        }
        for level in used.keys where book.bidSize(level.side, at: level.price) == .zero { used[level] = nil }
        taken[book.ticker] = used.isEmpty ? nil : used
        return (try? OrderBook(ticker: book.ticker, yesBids: adjusted(.yes), noBids: adjusted(.no))) ?? book
    }

    /// The book a taking order may walk: it meets the bids it takes from best first, and on the venue it
    /// stops at this run's own resting order there (`taker_at_cross` cancels the taker): the size queued
    /// ahead of that order at its price is still available, nothing beyond it.
    private func stoppingAtOwnOrders(_ book: OrderBook, _ request: ExecutionRequest) -> OrderBook {
        let side = Self.bookLevel(of: request, at: request.limit, taking: true).side
        let own = resting.values.filter { $0.request.ticker == request.ticker && $0.ended == nil && $0.level.side == side }
        guard let first = own.max(by: { $0.level.price < $1.level.price }) else { return book }
        let ahead = own.filter { $0.level.price == first.level.price }.map(\.queueAhead).min() ?? 0
        let bids = book.bids(side).compactMap { level -> BookLevel? in
            if level.price > first.level.price { return level }
            guard level.price == first.level.price, ahead > 0 else { return nil }
            return BookLevel(price: level.price, size: Contracts(hundredths: min(level.size.hundredths, ahead)))
        }
        let yes = side == .yes ? bids : book.bids(.yes), no = side == .no ? bids : book.bids(.no)
        return (try? OrderBook(ticker: book.ticker, yesBids: yes, noBids: no)) ?? book
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
