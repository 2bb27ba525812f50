import Testing
@testable import Markets

@Suite("Direction and the Kalshi V2 mapping")
struct DirectionTests {
    @Test("DESIGN §3: (action, side, price) → (book side, YES price)", arguments: [
        (OrderAction.buy, OutcomeSide.yes, "0.52", BookSide.bid, "0.52"),
        (.sell, .yes, "0.52", .ask, "0.52"),
        (.buy, .no, "0.53", .ask, "0.47"),
        (.sell, .no, "0.53", .bid, "0.47"),
        (.buy, .no, "0.0125", .ask, "0.9875"),
    ])
    func toV2(action: OrderAction, side: OutcomeSide, price: String, book: BookSide, yes: String) throws {
        let quote = KalshiV2Quote(action: action, side: side, price: try Price(parsing: price))
        #expect(quote.bookSide == book)
        #expect(quote.yesPrice == (try Price(parsing: yes)))
        // and back again
        let intent = quote.intent(as: side)
        #expect(intent.action == action)
        #expect(intent.price == (try Price(parsing: price)))
    }

    @Test("reading one V2 order from both outcome sides")
    func inverse() throws {
        let bid = KalshiV2Quote(bookSide: .bid, yesPrice: try Price(parsing: "0.40"))
        #expect(bid.intent(as: .yes) == (.buy, try Price(parsing: "0.40")))
        #expect(bid.intent(as: .no) == (.sell, try Price(parsing: "0.60")))
        let ask = KalshiV2Quote(bookSide: .ask, yesPrice: try Price(parsing: "0.40"))
        #expect(ask.intent(as: .yes) == (.sell, try Price(parsing: "0.40")))
        #expect(ask.intent(as: .no) == (.buy, try Price(parsing: "0.60")))
        #expect(bid.reportedOutcomeSide == .yes)
        #expect(ask.reportedOutcomeSide == .no)
    }

    @Test("platform words", arguments: [
        ("kalshi", Platform?.some(.kalshi)), ("KALSHI", .kalshi), (" Poly ", .polymarket), ("polymarket", .polymarket),
        ("PolyMarket", .polymarket), ("kalsh", nil), ("", nil), ("binance", nil),
    ])
    func platforms(word: String, expected: Platform?) {
        #expect(Platform(word: word) == expected)
    }
}
