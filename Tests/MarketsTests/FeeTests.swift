import Testing
@testable import Markets

@Suite("Kalshi fee estimates")
struct FeeTests {
    @Test("published examples and edge cases", arguments: [
        (FeeRate.kalshiTaker, "1", "0.50", "0.02"),
        (.kalshiTaker, "100", "0.50", "1.75"),
        (.kalshiIndexTaker, "100", "0.50", "0.88"),
        (.kalshiMaker, "100", "0.50", "0.44"),
        (.kalshiTaker, "10", "0.01", "0.01"),
        (.kalshiTaker, "0.01", "0.50", "0.01"),
        (.kalshiTaker, "1000", "0.99", "0.70"),
        (.kalshiTaker, "0", "0.50", "0.00"),
    ])
    func estimate(rate: FeeRate, count: String, price: String, fee: String) throws {
        let estimate = KalshiFees.estimate(rate: rate, count: try Contracts(parsing: count), price: try Price(parsing: price))
        #expect(estimate == (try Dollars(parsing: fee)))
    }

    @Test("rate by series and role")
    func rates() throws {
        #expect(KalshiFees.rate(seriesTicker: "INXD", role: .taker) == .kalshiIndexTaker)
        #expect(KalshiFees.rate(seriesTicker: "NASDAQ100U", role: .taker) == .kalshiIndexTaker)
        #expect(KalshiFees.rate(seriesTicker: "KXNFL", role: .taker) == .kalshiTaker)
        #expect(KalshiFees.rate(seriesTicker: "KXNFL", role: .maker) == .kalshiMaker)
        #expect(try FeeRate(parsing: "0.0175") == .kalshiMaker)
        #expect(throws: FixedPointError.self) { try FeeRate(parsing: "-0.07") }
    }

    @Test("huge counts do not trap")
    func huge() {
        let fee = KalshiFees.estimate(rate: .kalshiTaker, count: Contracts(hundredths: .max), price: Price(micros: 500_000)!)
        #expect(fee.micros > 0)
    }

    @Test("default risk limits are the original design's")
    func riskDefaults() throws {
        let limits = RiskLimits()
        #expect(limits.maxPositionSize == (try Contracts.whole(100)))
        #expect(limits.maxRiskPerTrade == (try Dollars(parsing: "500.00")))
        #expect(limits.maxDailyLoss == (try Dollars(parsing: "1000.00")))
        #expect(limits.maxDailyTrades == 50)
        #expect(limits.maxDailyVolume == (try Contracts.whole(5_000)))
        #expect(limits.maxPositionPerEvent == (try Contracts.whole(500)))
        #expect(limits.maxOrdersPerMinute == 10)
        #expect(limits.minTimeBetweenOrders == .milliseconds(100))
        #expect(limits.maxConsecutiveLosses == 5)
    }
}
