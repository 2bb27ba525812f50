import Foundation
import KalshiWire
import Markets
import Testing
@testable import TradingClient

@Suite("Orders are refused before any request when they cannot be right")
struct OrderRequestBuilderTests {
    static let demo = OrderRequestBuilder(venue: TradingVenue(apiURL: URL(string: KalshiHosts.demoAPI)!, allowsProduction: false))

    static func intent(_ action: OrderAction, _ side: OutcomeSide, _ price: String, count: String = "10") throws -> OrderIntent {
        OrderIntent(ticker: "KXNFL-26JAN11-BUF", action: action, side: side, price: try Price(parsing: price),
                    count: try Contracts(parsing: count), timeInForce: .immediateOrCancel, clientOrderID: "c-1")
    }

    @Test("buy-no and sell-no reach the wire as the correct book side and YES price", arguments: [
        (OrderAction.buy, OutcomeSide.yes, "0.48", BookSide.bid, "0.48"),
        (.buy, .no, "0.53", .ask, "0.47"),
        (.sell, .yes, "0.48", .ask, "0.48"),
        (.sell, .no, "0.53", .bid, "0.47"),
    ])
    func mapping(action: OrderAction, side: OutcomeSide, price: String, book: BookSide, yes: String) throws {
        let request = try Self.demo.request(for: try Self.intent(action, side, price), grid: .linearCent)
        #expect(request.side == book)
        #expect(request.price == (try Price(parsing: yes)))
        #expect(request.clientOrderID == "c-1")
        #expect(request.timeInForce == .immediateOrCancel)
    }

    @Test("TS-17 off-grid price, count ≤ 0, production URL in paper mode")
    func refusals() throws {
        #expect(throws: OrderRefusal(.offGridPrice, "ticker=KXNFL-26JAN11-BUF yes_price=0.485 grid=\(PriceGrid.linearCent)")) {
            try Self.demo.request(for: try Self.intent(.buy, .yes, "0.485"), grid: .linearCent)
        }
        // Sub-cent grid: 0.055 valid in the tapered edge band, 0.155 not.
        #expect(throws: Never.self) { try Self.demo.request(for: try Self.intent(.buy, .yes, "0.055"), grid: .taperedDeciCent) }
        #expect(throws: OrderRefusal.self) { try Self.demo.request(for: try Self.intent(.buy, .yes, "0.155"), grid: .taperedDeciCent) }
        for count in ["0", "-1", "-0.01"] {
            do {
                _ = try Self.demo.request(for: try Self.intent(.buy, .yes, "0.48", count: count), grid: .linearCent)
                Issue.record("count \(count) accepted")
            } catch let refusal as OrderRefusal {
                #expect(refusal.code == .nonPositiveCount)
            }
        }
        for host in ["https://external-api.kalshi.com/trade-api/v2", "https://api.elections.kalshi.com/trade-api/v2"] {
            let paper = OrderRequestBuilder(venue: TradingVenue(apiURL: URL(string: host)!, allowsProduction: false))
            do {
                _ = try paper.request(for: try Self.intent(.buy, .yes, "0.48"), grid: .linearCent)
                Issue.record("production accepted in paper mode")
            } catch let refusal as OrderRefusal {
                #expect(refusal.code == .productionHostNotAllowed)
            }
            let live = OrderRequestBuilder(venue: TradingVenue(apiURL: URL(string: host)!, allowsProduction: true))
            #expect(throws: Never.self) { try live.request(for: try Self.intent(.buy, .yes, "0.48"), grid: .linearCent) }
        }
    }

    @Test("expiration only with good_till_canceled; tickers are plain")
    func otherRefusals() throws {
        var intent = try Self.intent(.buy, .yes, "0.48")
        intent.expirationTime = 1_900_000_000
        #expect(throws: OrderRefusal.self) { try Self.demo.request(for: intent, grid: .linearCent) }
        intent.timeInForce = .goodTillCanceled
        #expect(try Self.demo.request(for: intent, grid: .linearCent).expirationTime == 1_900_000_000)
        intent.ticker = "../portfolio/balance"
        #expect(throws: OrderRefusal.self) { try Self.demo.request(for: intent, grid: .linearCent) }
    }
}
