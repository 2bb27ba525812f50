import KalshiWire
import Markets
import Testing
@testable import ExchangeSim

struct BookBuilder {
    var book = MatchingBook(ticker: "KX-1")
    var sequence: UInt64 = 0

    mutating func order(_ id: String, _ account: String, _ side: BookSide, _ price: String, _ count: String) throws -> SimOrder {
        sequence += 1
        return SimOrder(orderID: id, account: account, side: side, price: try Price(parsing: price),
                        remaining: try Contracts(parsing: count), sequence: sequence)
    }

    @discardableResult
    mutating func submit(_ id: String, _ account: String, _ side: BookSide, _ price: String, _ count: String,
                         _ tif: TimeInForce = .goodTillCanceled, postOnly: Bool = false,
                         stp: SelfTradePreventionType = .takerAtCross) throws -> MatchOutcome {
        let incoming = try order(id, account, side, price, count)
        return book.submit(incoming, MatchInstructions(timeInForce: tif, postOnly: postOnly, selfTradePrevention: stp))
    }
}

func c(_ text: String) throws -> Contracts { try Contracts(parsing: text) }
func p(_ text: String) throws -> Price { try Price(parsing: text) }

@Suite("Simulator matching engine: one YES book, price-time priority")
struct MatchingBookTests {
    @Test("price then time priority; trades at the maker's price")
    func priority() throws {
        var b = BookBuilder()
        try b.submit("a1", "m1", .ask, "0.55", "5")
        try b.submit("a2", "m2", .ask, "0.54", "5")
        try b.submit("a3", "m3", .ask, "0.54", "5")
        let outcome = try b.submit("t", "taker", .bid, "0.56", "12", .immediateOrCancel)
        #expect(outcome.trades.map(\.makerOrderID) == ["a2", "a3", "a1"])
        #expect(outcome.trades.map(\.price) == [try p("0.54"), try p("0.54"), try p("0.55")])
        #expect(outcome.filled == (try c("12")))
        #expect(outcome.canceled == .zero)
        #expect(b.book.order("a1")?.remaining == (try c("3")))
    }

    @Test("TS-11 IOC partial: 40 asked, 25 available → 25 filled, 15 cancelled")
    func iocPartial() throws {
        var b = BookBuilder()
        try b.submit("a1", "m", .ask, "0.50", "25")
        let outcome = try b.submit("t", "taker", .bid, "0.50", "40", .immediateOrCancel)
        #expect(outcome.filled == (try c("25")))
        #expect(outcome.canceled == (try c("15")))
        #expect(outcome.rested == .zero)
        #expect(b.book.restingOrders.isEmpty)
    }

    @Test("TS-12 FOK not fillable: nothing trades, nothing rests, the book is unchanged")
    func fok() throws {
        var b = BookBuilder()
        try b.submit("a1", "m", .ask, "0.50", "25")
        let before = b.book.orderBook
        let outcome = try b.submit("t", "taker", .bid, "0.50", "40", .fillOrKill)
        #expect(outcome.trades.isEmpty)
        #expect(outcome.canceled == (try c("40")))
        #expect(b.book.orderBook == before)
        let fills = try b.submit("t2", "taker", .bid, "0.50", "25", .fillOrKill)
        #expect(fills.filled == (try c("25")))
    }

    @Test("GTC remainder rests; the published book maps asks to NO bids at 1 − price")
    func gtcAndPublishedBook() throws {
        var b = BookBuilder()
        try b.submit("a1", "m", .ask, "0.60", "3")
        let outcome = try b.submit("t", "taker", .bid, "0.60", "10")
        #expect(outcome.filled == (try c("3")))
        #expect(outcome.rested == (try c("7")))
        try b.submit("a2", "m", .ask, "0.65", "4")
        let book = b.book.orderBook
        #expect(book.yesBids == [BookLevel(price: try p("0.60"), size: try c("7"))])
        #expect(book.noBids == [BookLevel(price: try p("0.35"), size: try c("4"))])
        #expect(book.bestAsk(.yes)?.price == (try p("0.65")))
    }

    @Test("post-only that would cross is refused and changes nothing")
    func postOnly() throws {
        var b = BookBuilder()
        try b.submit("a1", "m", .ask, "0.50", "5")
        let outcome = try b.submit("t", "taker", .bid, "0.50", "5", postOnly: true)
        #expect(outcome.postOnlyCross)
        #expect(outcome.trades.isEmpty)
        #expect(try b.submit("t2", "taker", .bid, "0.49", "5", postOnly: true).rested == (try c("5")))
    }

    @Test("self-trade prevention: taker_at_cross stops the taker; maker removes own resting orders")
    func selfTrade() throws {
        var b = BookBuilder()
        try b.submit("a1", "other", .ask, "0.50", "2")
        try b.submit("a2", "me", .ask, "0.51", "2")
        try b.submit("a3", "other", .ask, "0.52", "2")
        let stopped = try b.submit("t1", "me", .bid, "0.52", "6")
        #expect(stopped.filled == (try c("2")))
        #expect(stopped.canceled == (try c("4")), "the taker's remainder is cancelled, not rested")
        #expect(b.book.order("a2") != nil)

        var m = BookBuilder()
        try m.submit("a1", "other", .ask, "0.50", "2")
        try m.submit("a2", "me", .ask, "0.51", "2")
        try m.submit("a3", "other", .ask, "0.52", "2")
        let continued = try m.submit("t1", "me", .bid, "0.52", "6", .immediateOrCancel, stp: .maker)
        #expect(continued.filled == (try c("4")))
        #expect(continued.selfTradeCanceled.map(\.orderID) == ["a2"])
        #expect(m.book.order("a2") == nil)
    }

    @Test("cancel removes a resting order and empty levels")
    func cancel() throws {
        var b = BookBuilder()
        try b.submit("b1", "m", .bid, "0.40", "5")
        #expect(b.book.cancel(orderID: "b1")?.remaining == (try c("5")))
        #expect(b.book.cancel(orderID: "b1") == nil)
        #expect(b.book.orderBook.yesBids.isEmpty)
    }
}
