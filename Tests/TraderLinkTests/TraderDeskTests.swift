import Arbitrage
import Execution
import ExecutorTesting
import Foundation
import Markets
import Synchronization
import Testing
import TraderLink

/// A leg executor that counts its legs and takes `delay` over each.
final class CountingLegs: LegExecutor, Sendable {
    let calls = Mutex(0)
    let delay: Duration
    init(delay: Duration = .milliseconds(50)) { self.delay = delay }

    func executeLegs(_ legs: [LegRequest], markets: [ListedMarket]?, arbID: String, signalAt: ContinuousClock.Instant) async -> [LegResult] {
        var results: [LegResult] = []
        for leg in legs { results.append(await executeLeg(leg, arbID: arbID, closing: false)) }
        return results
    }

    func executeLeg(_ leg: LegRequest, arbID: String, closing: Bool) async -> LegResult {
        calls.withLock { $0 += 1 }
        try? await Task.sleep(for: delay)
        return LegResult(legID: leg.legID, success: true, filled: leg.contracts, averagePrice: Dollars(micros: leg.price.micros), venueOrderID: "v-\(leg.legID)")
    }

    func capacity(_ legs: [LegRequest], upTo limit: Int64) async -> Result<Contracts, BreakerDenial> { .success(Contracts(hundredths: limit * 100)) }
    func recordExposure(_ amount: Dollars, instrument: String, reason: String) async {}
}

@Suite("Trader desk and remote outcomes")
struct TraderDeskTests {
    static func desk(_ legs: CountingLegs, dir: TemporaryDirectory) throws -> TraderDesk {
        TraderDesk(platform: .kalshi, legs: legs, journal: try Journal(path: dir.path + "/trader.sqlite"), log: { _ in })
    }

    @Test("TS-39 in the desk: the same leg id sent twice at once is executed once, both answered alike")
    func concurrentDuplicates() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let legs = CountingLegs()
        let desk = try Self.desk(legs, dir: dir)
        async let first = desk.execute(RemoteLegTests.leg("same"))
        async let second = desk.execute(RemoteLegTests.leg("same"))
        let (a, b) = await (first, second)
        #expect(legs.calls.withLock { $0 } == 1)
        #expect(a.filled == "10.00" && b.filled == "10.00" && a.orderID == b.orderID)
        let third = await desk.execute(RemoteLegTests.leg("same"))
        #expect(legs.calls.withLock { $0 } == 1 && third.orderID == a.orderID)
    }

    @Test("a leg for another platform is refused (nothing sent, marked refused); under dry_run legs are checked and not sent; a closing desk takes no legs")
    func refusals() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let legs = CountingLegs()
        let desk = try Self.desk(legs, dir: dir)
        let other = await desk.execute(RemoteLegTests.leg("poly", platform: .polymarket))
        #expect(!other.success && other.refused && other.error?.contains("trades kalshi only") == true)
        await desk.setDryRun(true)
        let dry = await desk.execute(RemoteLegTests.leg("dry"))
        #expect(dry.success && dry.refused && dry.filled == "0.00" && dry.error?.hasPrefix("dry_run") == true)
        await desk.setDryRun(false)
        await desk.close()
        let late = await desk.execute(RemoteLegTests.leg("late"))
        #expect(!late.success && late.error?.contains("shutting down") == true)
        #expect(legs.calls.withLock { $0 } == 0)
        #expect(await desk.status("never").known == false)
    }

    @Test("client order ids: the same leg id always gives the same id; long or unusual leg ids get a digest, never a shared prefix")
    func orderIDs() {
        #expect(TraderDesk.clientOrderID("arbx-a-1") == "t-arbx-a-1")
        let long1 = String(repeating: "p", count: 70) + "-1", long2 = String(repeating: "p", count: 70) + "-2"
        #expect(TraderDesk.clientOrderID(long1) != TraderDesk.clientOrderID(long2))
        #expect(TraderDesk.clientOrderID(long1) == TraderDesk.clientOrderID(long1))
        #expect(TraderDesk.clientOrderID("a b/c").hasPrefix("t-ab") && TraderDesk.clientOrderID("a b/c").count < 64)
    }

    static func request() -> ExecutionRequest {
        ExecutionRequest(clientOrderID: "c-1", platform: .kalshi, ticker: "KX-1", fees: .kalshi(seriesTicker: "KX"), action: .buy, side: .yes, limit: forty,
                         count: Contracts(hundredths: 1_000), timeInForce: .immediateOrCancel, grid: .linearCent)
    }

    static func answer(filled: Int64, success: Bool = true, ambiguous: Bool = false, refused: Bool = false, fills: Bool = true) -> TraderMessage.LegResultMessage {
        let fill = TraderMessage.LegResultMessage.Fill(fillID: "f", count: Contracts(hundredths: filled), price: forty, fee: Dollars(micros: 10_000), role: "taker", ts: 1)
        return TraderMessage.LegResultMessage(legID: "c-1", platform: .kalshi, success: success, filled: Contracts(hundredths: filled),
                                              avgPrice: filled > 0 ? Dollars(micros: 400_000) : nil, orderID: "o", error: success ? nil : "no",
                                              ambiguous: ambiguous, fees: Dollars(micros: 10_000), refused: refused, fills: fills && filled > 0 ? [fill] : nil)
    }

    @Test("a trader's leg_result as the controller's order: filled, partly filled then cancelled (IOC), ambiguous, rejected by the venue, refused by the trader, totals-only")
    func outcomes() {
        let start = OrderLifecycle(clientOrderID: "c-1", requested: Contracts(hundredths: 1_000))
        func state(_ answer: TraderMessage.LegResultMessage) -> ExecutionResult { RoutedVenue.outcome(answer, of: Self.request(), into: start, acknowledgedAfter: .zero) }
        #expect(state(Self.answer(filled: 1_000)).order.state == .filled)
        let partial = state(Self.answer(filled: 400))
        #expect(partial.order.state == .canceled && partial.order.filled == Contracts(hundredths: 400) && partial.fees == Dollars(micros: 10_000))
        let unknown = state(Self.answer(filled: 0, ambiguous: true))
        #expect(!unknown.order.state.isTerminal && unknown.order.isAmbiguous)
        #expect(state(Self.answer(filled: 0, success: false)).order.state == .rejected)
        let refused = state(Self.answer(filled: 0, success: false, refused: true))
        #expect(refused.order.state == .notPlaced && refused.order.rejectionCode == "TRADER_REFUSED")
        let totals = state(Self.answer(filled: 1_000, fills: false))
        #expect(totals.order.state == .filled && totals.order.fills.count == 1 && totals.averagePrice == Dollars(micros: 400_000))
        let over = state(Self.answer(filled: 2_000))
        #expect(over.fault != nil, "an overfill is a fault (the breaker halts), never applied")
    }
}
