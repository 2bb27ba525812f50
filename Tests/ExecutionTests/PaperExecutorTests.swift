import DataClient
import ExecutorTesting
import KalshiWire
import Markets
import Synchronization
import Testing
@testable import Execution

/// A book source a test controls.

@Suite("Paper executor")
struct PaperExecutorTests {
    static let ticker = "KXNFL-26JAN11-BUF"

    static func book(asks: [(String, String)], bids: [(String, String)] = []) -> OrderBook {
        // YES asks are implied by NO bids at 1 − price.
        let noBids = asks.map { BookLevel(price: price($0.0).complement, size: contracts($0.1)) }
        let yesBids = bids.map { BookLevel(price: price($0.0), size: contracts($0.1)) }
        return (try? OrderBook(ticker: ticker, yesBids: yesBids, noBids: noBids)) ?? OrderBook(ticker: ticker)
    }

    static func request(_ action: OrderAction = .buy, _ side: OutcomeSide = .yes, _ limit: String, _ count: String,
                        tif: TimeInForce = .immediateOrCancel, id: String = "p-1") -> ExecutionRequest {
        ExecutionRequest(clientOrderID: id, ticker: ticker, seriesTicker: "KXNFL", action: action, side: side,
                         limit: price(limit), count: contracts(count), timeInForce: tif)
    }

    static func executor(_ books: FixedBooks, _ clock: ManualClock, model: PaperFillMode = .book, seed: UInt64 = 1) -> PaperExecutor<ManualClock> {
        var settings = PaperExecutor<ManualClock>.Settings()
        settings.model = model
        settings.seed = seed
        settings.latency = .milliseconds(20) ... .milliseconds(20)
        return PaperExecutor(books: books, clock: clock, settings: settings)
    }

    /// Runs one execution, advancing the manual clock past the simulated latency.
    /// `alsoSleeping`: sleepers already waiting on the clock (a resting order's timeout).
    static func run(_ executor: PaperExecutor<ManualClock>, _ clock: ManualClock, _ request: ExecutionRequest, alsoSleeping: Int = 0,
                    beforeDeadline: @Sendable () -> Void = {}) async -> ExecutionResult {
        let task = Task { await executor.execute(request) }
        await clock.waitForSleepers(1 + alsoSleeping)
        beforeDeadline()
        clock.advance(by: .milliseconds(20))
        return await task.value
    }

    @Test("TS-27 the book model fills exactly the depth at or better than the limit at the latency deadline")
    func bookDepth() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.40", "10")]), seq: 1))
        let executor = Self.executor(books, clock)
        let result = await Self.run(executor, clock, Self.request(.buy, .yes, "0.42", "40")) {
            // The book changes while the order is in flight: the deadline's book is the one that counts.
            books.set(Self.ticker, .fresh(Self.book(asks: [("0.41", "15"), ("0.42", "10"), ("0.43", "50")]), seq: 2))
        }
        #expect(result.order.filled == contracts("25"))
        #expect(result.order.fills.map(\.price) == [price("0.41"), price("0.42")])
        #expect(result.order.state == .canceled, "IOC remainder cancelled")
        #expect(result.notional == Dollars(micros: 10_350_000))  // 15 × 0.41 + 10 × 0.42
        #expect(await executor.positions()[Self.ticker] == contracts("25"))
        #expect(await executor.cash.micros == 10_000_000_000 - 10_350_000 - result.fees.micros)
    }

    @Test("TS-28 a stale or missing book is never filled against: rejected with a reason")
    func staleBook() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .stale)
        let executor = Self.executor(books, clock)
        let result = await Self.run(executor, clock, Self.request(.buy, .yes, "0.50", "5"))
        #expect(result.order.state == .rejected)
        #expect(result.order.filled == .zero)
        #expect(result.rejection?.contains("stale") == true)
        let unknown = await Self.run(executor, clock, Self.request(.buy, .yes, "0.50", "5", id: "p-2")) { books.set(Self.ticker, .unknown) }
        #expect(unknown.rejection?.contains("no order book") == true)
    }

    @Test("FOK all or nothing; buying NO walks the YES bids; selling reduces the position")
    func tifAndSides() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.60", "5")], bids: [("0.55", "8")]), seq: 1))
        let executor = Self.executor(books, clock)
        let fok = await Self.run(executor, clock, Self.request(.buy, .yes, "0.60", "6", tif: .fillOrKill))
        #expect(fok.order.filled == .zero && fok.order.state == .canceled)
        let no = await Self.run(executor, clock, Self.request(.buy, .no, "0.45", "8", id: "p-2"))
        #expect(no.order.filled == contracts("8"))
        #expect(no.order.fills.first?.price == price("0.45"), "NO ask = 1 − YES bid 0.55")
        #expect(await executor.positions()[Self.ticker] == contracts("-8"))
    }

    @Test("TS-29 a resting GTC paper order fills when public trades cross it; its execution returns the fills (one fill path)")
    func restingFillsOnTrade() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.60", "5")]), seq: 1))
        let executor = Self.executor(books, clock)
        let task = Task { await executor.execute(Self.request(.buy, .yes, "0.50", "10", tif: .goodTillCanceled)) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(20))
        #expect(await eventually { await executor.openOrders().first?.state == .resting })
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.52"), count: contracts("100"))
        #expect(await executor.openOrders().first?.filled == .zero, "a trade above the bid does not cross it")
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("4"))
        #expect(await executor.openOrders().first?.filled == contracts("4"))
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.49"), count: contracts("20"))
        let result = await task.value
        #expect(result.order.state == .filled && result.order.fills.count == 2, "the trades' fills come back through the execution")
        #expect(result.timing.firstFill != nil)
        #expect(await executor.openOrders().isEmpty)
        #expect(await executor.positions()[Self.ticker] == contracts("10"))
    }

    @Test("TS-56 a resting GTC paper order is worked until its timeout, then its remainder is cancelled; cancelAll ends it at once")
    func restingTimesOut() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.60", "5")]), seq: 1))
        let executor = Self.executor(books, clock)
        let timed = Task { await executor.execute(Self.request(.buy, .yes, "0.50", "10", tif: .goodTillCanceled, id: "gtc-1")) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(20))
        #expect(await eventually { await executor.openOrders().count == 1 })
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("3"))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(30))
        let result = await timed.value
        #expect(result.order.state == .canceled && result.order.filled == contracts("3"))
        #expect(result.rejection?.contains("timed out") == true)

        let cancelled = Task { await executor.execute(Self.request(.buy, .yes, "0.50", "10", tif: .goodTillCanceled, id: "gtc-2")) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(20))
        #expect(await eventually { await executor.openOrders().count == 1 })
        #expect(await executor.cancelAll() == 1)
        let ended = await cancelled.value
        #expect(ended.order.state == .canceled && ended.order.filled == .zero)
    }

    @Test("TS-30 the random model reproduces for a seed")
    func seededRandom() async {
        func fills(seed: UInt64) async -> [String] {
            let books = FixedBooks(), clock = ManualClock()
            let executor = Self.executor(books, clock, model: .random(RandomFillParameters()), seed: seed)
            var out: [String] = []
            for i in 0..<40 {
                let result = await Self.run(executor, clock, Self.request(.buy, .yes, "0.50", "10", id: "r-\(i)"))
                out.append("\(result.order.filled.wireString)@\(result.averagePrice?.wireString ?? "-")")
            }
            return out
        }
        let a = await fills(seed: 7), b = await fills(seed: 7), c = await fills(seed: 8)
        #expect(a == b)
        #expect(a != c)
        #expect(a.filter { $0.hasPrefix("0.00") }.count < 20, "most orders fill at 0.85")
    }

    /// A GTC buy resting at the deadline (the trades and book changes that follow are the test's).
    static func rest(_ executor: PaperExecutor<ManualClock>, _ clock: ManualClock, _ request: ExecutionRequest) async -> Task<ExecutionResult, Never> {
        let task = Task { await executor.execute(request) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(20))
        _ = await eventually { await executor.openOrders().contains { $0.clientOrderID == request.clientOrderID } }
        return task
    }

    @Test("TS-71 a resting paper order joins the back of its price level: trades at its price fill it only after the size displayed ahead of it; a trade through its price fills it")
    func queuePosition() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.60", "5")], bids: [("0.50", "10")]), seq: 1))
        let executor = Self.executor(books, clock)
        let task = await Self.rest(executor, clock, Self.request(.buy, .yes, "0.50", "5", tif: .goodTillCanceled))
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("8"), takerSide: .ask)
        #expect(await executor.openOrders().first?.filled == .zero, "8 of the 10 ahead")
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("3"), takerSide: .bid)
        #expect(await executor.openOrders().first?.filled == .zero, "a buyer lifting offers does not hit bids")
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("4"), takerSide: .ask)
        #expect(await executor.openOrders().first?.filled == contracts("2"), "2 ahead, then 2 for the order")
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.49"), count: contracts("10"), takerSide: .ask)
        let result = await task.value
        #expect(result.order.state == .filled && result.order.fills.map(\.count) == [contracts("2"), contracts("3")])
        #expect(result.order.fills.allSatisfy { $0.price == price("0.50") }, "resting fills at the order's own limit")
    }

    @Test("TS-71 the size ahead shrinks with cancellations (never more than what is still displayed); a new offer crossing the order fills it at its price")
    func queueShrinksAndCrossingFills() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.60", "5")], bids: [("0.50", "10")]), seq: 1))
        let executor = Self.executor(books, clock)
        let task = await Self.rest(executor, clock, Self.request(.buy, .yes, "0.50", "6", tif: .goodTillCanceled))
        // 7 of the 10 ahead cancelled: 3 left ahead.
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.60", "5")], bids: [("0.50", "3")]), seq: 2))
        await executor.onBook(ticker: Self.ticker)
        await executor.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("4"), takerSide: .ask)
        #expect(await executor.openOrders().first?.filled == contracts("1"))
        // An offer at 0.48 for 2 arrives: on the venue it would have traded with the bid at 0.50.
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.48", "2"), ("0.60", "5")], bids: [("0.50", "0.5")]), seq: 3))
        await executor.onBook(ticker: Self.ticker)
        #expect(await executor.openOrders().first?.filled == contracts("3"))
        #expect(await executor.cancelAll() == 1)
        let result = await task.value
        #expect(result.order.fills.last?.price == price("0.50") && result.order.filled == contracts("3"))
        // The crossing offer was the paper order's: a taking order right after does not get it again.
        let taker = await Self.run(executor, clock, Self.request(.buy, .yes, "0.48", "2", id: "p-take"))
        #expect(taker.order.filled == .zero, "\(taker.order.fills)")
    }

    @Test("TS-71 self-impact: liquidity a paper order took stays gone for the next one while the venue still displays it, and returns once the level empties")
    func selfImpact() async {
        let books = FixedBooks(), clock = ManualClock()
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.40", "5"), ("0.41", "10")]), seq: 1))
        let executor = Self.executor(books, clock)
        let first = await Self.run(executor, clock, Self.request(.buy, .yes, "0.40", "4", id: "p-1"))
        #expect(first.order.filled == contracts("4"))
        let second = await Self.run(executor, clock, Self.request(.buy, .yes, "0.40", "4", id: "p-2"))
        #expect(second.order.filled == contracts("1"), "5 displayed, 4 already taken")
        let third = await Self.run(executor, clock, Self.request(.buy, .yes, "0.41", "4", id: "p-3"))
        #expect(third.order.fills.map(\.price) == [price("0.41")] && third.order.filled == contracts("4"))
        // The 0.40 level empties on the venue and comes back: new liquidity.
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.41", "6")]), seq: 2))
        _ = await Self.run(executor, clock, Self.request(.buy, .yes, "0.39", "1", id: "p-4"))
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.40", "5"), ("0.41", "6")]), seq: 3))
        let fourth = await Self.run(executor, clock, Self.request(.buy, .yes, "0.40", "5", id: "p-5"))
        #expect(fourth.order.filled == contracts("5"))
    }

    @Test("TS-71 self-trade prevention as the venue applies it: a taking order stops at the run's own resting order on the other side, after the size ahead of it")
    func selfTradePrevention() async {
        let books = FixedBooks(), clock = ManualClock()
        // YES asks 0.40 (4) and 0.41 (10) are NO bids at 0.60 and 0.59.
        books.set(Self.ticker, .fresh(Self.book(asks: [("0.40", "4"), ("0.41", "10")]), seq: 1))
        let executor = Self.executor(books, clock)
        // A resting buy of NO at 0.60 joins the NO bids at 0.60 behind 4: on the YES book it offers at 0.40.
        let resting = await Self.rest(executor, clock, Self.request(.buy, .no, "0.60", "3", tif: .goodTillCanceled, id: "own-no"))
        let taker = await Self.run(executor, clock, Self.request(.buy, .yes, "0.45", "10", id: "take"), alsoSleeping: 1)
        #expect(taker.order.filled == contracts("4"), "the 4 ahead of the own order, then the venue cancels the taker")
        #expect(await executor.cancelAll() == 1)
        _ = await resting.value
        let after = await Self.run(executor, clock, Self.request(.buy, .yes, "0.45", "10", id: "take-2"))
        #expect(after.order.filled == contracts("10"), "the 0.41 level once the own order is gone (0.40 was taken)")
    }
}
