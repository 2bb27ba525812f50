import Arbitrage
@testable import Coordinator
import Execution
import ExecutorTesting
import Foundation
import Markets
import Synchronization
import Testing
import VenueTransport

/// The two-leg engine against both simulators over loopback: the Kalshi executor on the Kalshi simulator,
/// the Polymarket executor on the Polymarket simulator, every leg through the breaker and the journal.
@Suite("Arbitrage engine: two legs on two venues (TS-31…TS-37, TS-41)", .serialized)
struct ArbEngineSimTests {
    @Test("TS-31 both legs fill: hedged on both venues, journaled with fills, fees and realised P&L")
    func bothFill() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth()

        let record = try await h.run(h.arb("ts31"))
        #expect(record.outcome == .filled, "\(record.reason)")
        #expect(record.legs.map(\.filled) == ["10.00", "10.00"])
        #expect(record.legs[0].averagePrice == "0.40" && record.legs[1].averagePrice == "0.55")
        // $10 payout − $4.00 − $5.50 − Kalshi's fee (0.07 × 10 × 0.4 × 0.6 = 0.168 → 0.17).
        #expect(record.realizedPnl == Dollars(micros: 330_000), "\(record.realizedPnl)")
        #expect(await h.kalshiPosition() == Contracts(hundredths: 1_000))
        #expect(await h.polyNoShares() == 10_000_000)
        let report = try h.service.journal.report()
        #expect(report.arbs.first?.arbID == "ts31" && report.arbs.first?.outcome == "filled")
    }

    @Test("both legs leave together: held at their order lanes until both are ready, then written in one event-loop pass")
    func legsLeaveTogether() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth()
        // A debug build under a parallel suite can take longer than the run's 1 ms between the legs.
        await h.service.setLaunchHold(.seconds(5))
        let writes = Mutex<[OrderLane.WriteTrace]>([])
        let tracing = OrderLane.traceWrites { write in writes.withLock { $0.append(write) } }
        defer { OrderLane.stopTracing(tracing) }

        let record = try await h.run(h.arb("together"))
        #expect(record.outcome == .filled, "\(record.reason)")
        let traced = writes.withLock { $0 }
        func text(_ write: OrderLane.WriteTrace) -> String { write.body.map { String(buffer: $0) } ?? "" }
        let kalshiLeg = try #require(traced.first { text($0).contains("together-a") }, "the Kalshi leg went through its order lane")
        #expect(kalshiLeg.batch == 2, "written in the same pass as the Polymarket leg")
        let polyLeg = try #require(traced.first { text($0).contains("\"order\"") && $0.batch == 2 && $0.flushStarted != kalshiLeg.flushStarted })
        // Flushed one right after the other: nothing ran between them on the loop.
        let ordered = [kalshiLeg, polyLeg].sorted { $0.flushStarted < $1.flushStarted }
        #expect(ordered[0].flushed <= ordered[1].flushStarted)
    }

    @Test("with no launch hold each leg leaves as soon as it is ready, alone: the gate is off")
    func legsNotHeldWithoutHold() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth()
        await h.service.setLaunchHold(.zero)
        let writes = Mutex<[OrderLane.WriteTrace]>([])
        let tracing = OrderLane.traceWrites { write in writes.withLock { $0.append(write) } }
        defer { OrderLane.stopTracing(tracing) }

        let record = try await h.run(h.arb("alone"))
        #expect(record.outcome == .filled, "\(record.reason)")
        let traced = writes.withLock { $0 }.filter { $0.body.map { String(buffer: $0) }?.contains("alone-a") == true }
        let kalshiLeg = try #require(traced.first, "the Kalshi leg went through its order lane")
        #expect(kalshiLeg.batch == 1, "written on its own")
    }

    @Test("TS-32 Kalshi fills, the Polymarket trade FAILs: the Kalshi excess is sold down the ladder a cent at a time until flat")
    func polymarketFails() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth(kalshiBid: ("0.38", "10"))
        await h.poly.exchange.failNextTrades(1)

        let record = try await h.run(h.arb("ts32"))
        #expect(record.outcome == .mismatchClosed, "\(record.reason)")
        #expect(record.legs.map(\.filled) == ["10.00", "0.00"])
        #expect(record.closes.map(\.price) == ["0.40", "0.39", "0.38"], "from the fill price, a cent lower per retry")
        #expect(record.closes.last?.filled == "10.00")
        #expect(h.sleeps.all == [.milliseconds(100), .milliseconds(100)], "100 ms between retries; no settlement wait on Kalshi")
        #expect(await h.kalshiPosition() == .zero, "flat again")
        // Bought at 0.40, sold at 0.38: −$0.20 and both orders' fees.
        #expect(record.realizedPnl.micros < -200_000)
    }

    @Test("TS-32 the other way: Polymarket fills, the Kalshi leg finds nothing; the NO shares are sold after the 2 s settlement wait")
    func kalshiFails() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        await h.kalshiQuote(.ask, "0.40", "10", id: "gone")
        await h.polyOfferNo("0.55", "10")
        _ = await h.poly.exchange.quote(h.noToken, .buy, price: price("0.53"), count: contracts("10"), owner: "mm")
        try await h.waitForBooks()
        await h.waitForAsks(kalshiYes: "0.40", polyNo: "0.55")
        // Decided on these books; the Kalshi offer is withdrawn before the legs arrive.
        await h.arbVenues.freeze([(.kalshi, ArbHarness.kalshiTicker), (.polymarket, h.yesToken)])
        _ = await h.kalshi.exchange.cancelAll(account: "mm")

        let record = try await h.run(h.arb("ts32b"))
        #expect(record.outcome == .mismatchClosed, "\(record.reason)")
        #expect(record.legs.map(\.filled) == ["0.00", "10.00"])
        #expect(record.closes.map(\.platform) == ["polymarket", "polymarket", "polymarket"])
        #expect(record.closes.map(\.price) == ["0.55", "0.54", "0.53"])
        #expect(h.sleeps.all.first == .seconds(2), "Polymarket fills settle before they can be sold: \(h.sleeps.all)")
        #expect(await h.polyNoShares() == 0)
    }

    @Test("TS-33 unequal partial fills: only the excess is closed")
    func unequalPartials() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth(kalshiBid: ("0.39", "4"))
        // The engine decides on these books; meanwhile someone takes 4 NO off Polymarket.
        await h.arbVenues.freeze([(.kalshi, ArbHarness.kalshiTicker), (.polymarket, h.yesToken)])
        #expect(await h.poly.exchange.syntheticTake(h.noToken, .buy, price: price("0.55"), count: contracts("4")))

        let record = try await h.run(h.arb("ts33"))
        #expect(record.outcome == .mismatchClosed, "\(record.reason)")
        #expect(record.legs.map(\.filled) == ["10.00", "6.00"])
        #expect(record.closes.map(\.contracts) == ["4.00", "4.00"] && record.closes.map(\.filled) == ["0.00", "4.00"], "\(record.closes)")
        #expect(await h.kalshiPosition() == Contracts(hundredths: 600), "6 hedged contracts kept")
        #expect(await h.polyNoShares() == 6_000_000)
    }

    @Test("TS-34 the close cannot finish: exposure recorded, the breaker counts it as a loss, the engine keeps running")
    func closeFails() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth("20")
        await h.poly.exchange.failNextTrades(1)

        let record = try await h.run(h.arb("ts34"))
        #expect(record.outcome == .exposureLeft, "\(record.reason)")
        #expect(record.closes.count == 40, "0.40 down to the 0.01 floor")
        #expect(record.closes.last?.price == "0.01")
        #expect(record.exposure == Dollars(micros: 4_000_000))
        let status = await h.service.status()
        #expect(status.realizedToday.hasPrefix("-4."), "\(status.realizedToday)")
        #expect(status.consecutiveLosses >= 1)
        // The run goes on: the next arb on the pair trades (once the breaker allows it).
        let next = try await h.run(h.arb("ts34-next"))
        #expect(next.outcome == .filled, "\(next.reason)")
    }

    @Test("TS-35 Polymarket answers live with 0 filled and matches later: the arb waits for the venue and ends hedged")
    func delayedMatch() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth()
        await h.poly.exchange.delayNextOrders(1, by: .milliseconds(300))

        let record = try await h.run(h.arb("ts35"))
        #expect(record.outcome == .filled, "\(record.reason)")
        #expect(record.legs.map(\.filled) == ["10.00", "10.00"])
        #expect(record.closes.isEmpty, "a delayed match is neither a fill nor a failure until the venue settles it")
    }

    @Test("TS-36 three mismatches on a pair blacklist it for 300 s")
    func blacklist() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth("40", kalshiBid: ("0.39", "40"))
        for round in 1...3 {
            await h.poly.exchange.failNextTrades(1)
            let record = try await h.run(h.arb("ts36-\(round)"))
            #expect(record.outcome == .mismatchClosed, "round \(round): \(record.reason)")
        }
        #expect(await h.engine.blacklisted["nfl-buf"] != nil)
        let refused = try await h.run(h.arb("ts36-4"))
        #expect(refused.outcome == .aborted && refused.reason.hasPrefix("blacklisted"), "\(refused.reason)")
        let ordersBefore = try await h.kalshiOrders().count
        #expect(ordersBefore == 3 * 3, "three arbs' Kalshi legs and two closes each; nothing for the blacklisted one")
        h.clock.advance(.seconds(301))
        let after = try await h.run(h.arb("ts36-5"))
        #expect(after.outcome == .filled, "300 s later the pair trades again: \(after.reason)")
    }

    @Test("TS-37 concurrent detections of one pair: executed once, the others refused as in flight")
    func concurrentDetections() async throws {
        let h = try await ArbHarness.start()
        defer { Task { await h.stop() } }
        try await h.offerBoth("50")
        for index in 1...5 { await h.engine.submit(h.arb("ts37-\(index)")) }
        await h.engine.drain()
        let records = try h.service.journal.arbs().filter { $0.arbID.hasPrefix("ts37") }
        #expect(records.count == 5)
        #expect(records.filter { $0.outcome == .filled }.count == 1)
        #expect(records.filter { $0.reason.hasPrefix("in_flight") }.count == 4)
        #expect(try await h.kalshiOrders().count == 1, "one Kalshi order for five detections")
        #expect(await h.kalshiPosition() == Contracts(hundredths: 1_000))
    }

    @Test("TS-41 no execution path for one leg: nothing is sent on either venue")
    func noExecutionPath() async throws {
        let h = try await ArbHarness.start(polymarket: false)
        defer { Task { await h.stop() } }
        await h.kalshiQuote(.ask, "0.40", "10")
        try await Task.sleep(for: .milliseconds(50))
        let record = try await h.run(h.arb("ts41"))
        #expect(record.outcome == .aborted && record.reason.hasPrefix("no_execution_path"), "\(record.reason)")
        #expect(try await h.kalshiOrders().isEmpty, "the Kalshi leg was not sent either")
    }
}
