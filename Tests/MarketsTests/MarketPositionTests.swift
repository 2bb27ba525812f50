import Markets
import Testing

@Suite("Realised P&L: Kalshi netting with an average-cost basis")
struct MarketPositionTests {
    static func p(_ text: String) -> Price { (try? Price(parsing: text)) ?? Price(micros: 500_000)! }
    static func c(_ text: String) -> Contracts { (try? Contracts(parsing: text)) ?? .zero }
    static func d(_ text: String) -> Dollars { (try? Dollars(parsing: text)) ?? .zero }

    @Test("TS-43 five buys of YES then five buys of NO: every NO buy closes YES at 1 − q and realises, fees included")
    func issueReproduction() throws {
        var position = MarketPosition()
        for _ in 1...5 { #expect(try position.apply(action: .buy, side: .yes, count: Self.c("10"), price: Self.p("0.50"), fee: Self.d("0.18")) == nil) }
        #expect(position.position == Self.c("50") && position.basis == Self.d("25.90"))
        #expect(position.averageCost == Self.d("0.518"))
        var realized: [Dollars] = []
        for _ in 1...5 {
            let result = try #require(try position.apply(action: .buy, side: .no, count: Self.c("10"), price: Self.p("0.52"), fee: Self.d("0.18")))
            #expect(result.closed == Self.c("10"))
            realized.append(result.pnl)
        }
        #expect(realized == Array(repeating: Self.d("-0.56"), count: 5))
        #expect(position.realized == Self.d("-2.80"), "the issue's ≈ $2.80 loss")
        #expect(position.position == .zero && position.basis == .zero && position.heldSide == nil)
        #expect(position.fees == Self.d("1.80"))
    }

    @Test("selling what is held realises at the sell price; a fill larger than the position flips it, its fee split pro rata")
    func sellsAndFlips() throws {
        var position = MarketPosition()
        try position.apply(action: .buy, side: .no, count: Self.c("4"), price: Self.p("0.30"), fee: Self.d("0.02"))
        #expect(position.position == Self.c("-4") && position.heldSide == .no && position.basis == Self.d("1.22"))
        let sold = try #require(try position.apply(action: .sell, side: .no, count: Self.c("1"), price: Self.p("0.40"), fee: Self.d("0.01")))
        // 0.40 − 0.01 − 1.22 / 4 = 0.0850
        #expect(sold.pnl == Self.d("0.085") && position.position == Self.c("-3"))
        // Buying 5 YES at 0.55 while 3 NO are held: 3 close (NO worth 0.45 each), 2 open YES.
        let flip = try #require(try position.apply(action: .buy, side: .yes, count: Self.c("5"), price: Self.p("0.55"), fee: Self.d("0.10")))
        #expect(flip.closed == Self.c("3"))
        #expect(flip.pnl == Self.d("0.375"), "NO worth 0.45 × 3 − 0.06 (3/5 of the fee) − 0.915 (the rest of the basis)")
        #expect(position.position == Self.c("2") && position.basis == Self.d("1.14"), "2 × 0.55 + 0.04")
    }

    @Test("settlement pays $1 per winning contract, nothing for a loser, the value of a scalar market; flat stays flat")
    func settlement() throws {
        var yes = MarketPosition(), no = MarketPosition(), scalar = MarketPosition(), flat = MarketPosition()
        try yes.apply(action: .buy, side: .yes, count: Self.c("10"), price: Self.p("0.40"), fee: Self.d("0.17"))
        try no.apply(action: .buy, side: .no, count: Self.c("10"), price: Self.p("0.60"), fee: Self.d("0.17"))
        try scalar.apply(action: .buy, side: .yes, count: Self.c("2"), price: Self.p("0.25"), fee: .zero)
        #expect(try yes.settle(yesValue: .one)?.pnl == Self.d("5.83"))
        #expect(try no.settle(yesValue: .one)?.pnl == Self.d("-6.17"))
        #expect(try scalar.settle(yesValue: Self.d("0.3125"))?.pnl == Self.d("0.125"))
        #expect(try flat.settle(yesValue: .one) == nil)
        #expect(yes.position == .zero && yes.basis == .zero)
    }

    @Test("unrealised P&L marks the held side; adopting a count keeps the average cost on the same side")
    func marksAndAdoption() throws {
        var position = MarketPosition()
        try position.apply(action: .buy, side: .yes, count: Self.c("10"), price: Self.p("0.50"), fee: Self.d("0.18"))
        #expect(try position.unrealized(atHeldSidePrice: Self.p("0.55")) == Self.d("0.32"))
        #expect(try position.adopt(Self.c("5")))
        #expect(position.basis == Self.d("2.59"))
        #expect(try !position.adopt(Self.c("-3")), "a side the journal never held has no known cost")
        #expect(position.basis == .zero && position.position == Self.c("-3"))
    }

    @Test("TS-48 money and counts report overflow instead of trapping")
    func checkedOperators() throws {
        let huge = Dollars(micros: .max)
        #expect(throws: ArithmeticOverflowError.self) { try huge + Dollars(micros: 1) }
        #expect(throws: ArithmeticOverflowError.self) { try Dollars(micros: .min) - Dollars(micros: 1) }
        #expect(throws: ArithmeticOverflowError.self) { try Contracts(hundredths: .max) * 2 }
        #expect(throws: ArithmeticOverflowError.self) { try Dollars(micros: .min).negatedChecked() }
        #expect(try [Dollars(micros: 1), Dollars(micros: 2)].sum() == Dollars(micros: 3))
        #expect(huge.addingSaturated(Dollars(micros: 5)) == huge)
        #expect(Contracts(hundredths: .min).magnitude == Contracts(hundredths: .max), "no trap on the one value without a positive twin")
        var position = MarketPosition()
        #expect(throws: ArithmeticOverflowError.self) {
            try position.apply(action: .buy, side: .yes, count: Contracts(hundredths: .max), price: Self.p("0.99"), fee: .zero)
        }
    }
}
