import ExchangeSim
import ExecutorTesting
import Foundation
import Markets
import PolymarketClient
import PolymarketWire
import Testing
@testable import Execution
@testable import PolymarketVenue

/// The Polymarket executor against the simulator over loopback (TS-P07…P17, Polymarket's TS-07…17):
/// fills only from final trades, faults resolved by the order's hash, timeouts on an injected clock.
@Suite("PolymarketExecutor on the simulator")
struct PolymarketExecutorTests {
    static let slug = "nfl-buf-2026-01-11"
    /// An order timeout the clock never reaches while a test drives it. `driven` advances the clock by a step
    /// whenever something sleeps on it, as fast as the machine goes: a 600 s timeout (12,000 steps of 50 ms)
    /// once passed while a loaded machine's cancel-all was on its way, and the executions cancelled their own
    /// orders before the cancel-all's answer (which then counted none).
    static let beyondTheTest: Duration = .seconds(365 * 86_400)

    struct Harness {
        let sim: PolySimFixture
        let client: PolymarketClient
        let executor: PolymarketExecutor<ManualClock>
        let clock: ManualClock
        let spec: PolySimMarketSpec
        let gamma: GammaClient

        static func start(user: Bool = true, configure: (inout PolymarketExecutor<ManualClock>.Settings) -> Void = { _ in },
                          exchange: (inout PolySimExchange.Configuration) -> Void = { _ in }) async throws -> Harness {
            // The executor's heartbeats run on the test's ManualClock, which moves only when a test drives it;
            // the venue's expiry runs on real time. At its 15 s, a loaded machine's wait for an order to rest
            // once outlasted it and the venue cancelled the order under the test (a cancel-all then found it
            // gone). Tests of the expiry set their own.
            let sim = try await PolySimFixture.start { configuration in
                configuration.heartbeatTimeout = .seconds(600)
                exchange(&configuration)
            }
            let spec = try #require(await sim.market(PolymarketExecutorTests.slug))
            let client = try await sim.client()
            let gamma = sim.gamma()
            let clock = ManualClock()
            var settings = PolymarketExecutor<ManualClock>.Settings()
            settings.resolveBackoff = .zero
            settings.rateLimitBackoff = .zero
            configure(&settings)
            let stream = user ? PolyUserStream(webSocketURL: sim.server.webSocketURL, transport: client.transport) : nil
            // Signed as the run signs: with nonces prepared ahead (filled here, so no order falls back).
            let nonces = PreparedNonces(signer: sim.signer, capacity: 64)
            nonces.fill()
            let executor = PolymarketExecutor(client: client, user: stream, directory: PolyMarketDirectory(client: client, gamma: gamma),
                                              builder: try PolyOrderBuilder(signer: sim.signer, nonces: nonces), clock: clock, settings: settings)
            await executor.start()
            // Up to 30 s: a loaded suite start has taken the user channel past 5 s to connect (seen once in CI).
            if user { #expect(await eventually(.seconds(30)) { await stream?.socket.isConnected == true }) }
            return Harness(sim: sim, client: client, executor: executor, clock: clock, spec: spec, gamma: gamma)
        }

        func stop() async {
            await executor.stop()
            try? await client.transport.shutdown()
            try? await gamma.shutdown()
            await sim.stop()
        }

        /// Liquidity from a market maker on the YES token.
        @discardableResult
        func quote(_ side: PolySide, _ yesPrice: String, _ count: String) async -> String? {
            await sim.exchange.quote(spec.yesToken, side, price: price(yesPrice), count: contracts(count))
        }

        func request(_ id: String, _ action: OrderAction = .buy, _ side: OutcomeSide = .yes, limit: String, count: String,
                     tif: TimeInForce = .immediateOrCancel) -> ExecutionRequest {
            ExecutionRequest(clientOrderID: id, platform: .polymarket, ticker: spec.yesToken, fees: .polymarket(feeRateBps: 0), action: action, side: side,
                             limit: price(limit), count: contracts(count), timeInForce: tif, grid: .linearCent)
        }

        /// `body`'s result, the injected clock stepping by `step` whenever something sleeps on it meanwhile.
        func driven<T>(step: Duration, _ body: () async -> T) async -> T {
            let driver = clock.drive(step: step)
            defer { driver.cancel() }
            return await body()
        }

        /// Executes `request`, the injected clock stepping by `step` whenever something sleeps on it.
        func executeDriven(_ request: ExecutionRequest, step: Duration = .milliseconds(250)) async -> ExecutionResult {
            let work = Task { await executor.execute(request) }
            return await driven(step: step) { await work.value }
        }

        /// The journal's row for a buy of YES the executor placed (`venueOrderID` from its result).
        func row(_ id: String, limit: String, count: String, venueOrderID: String?) -> JournalOrder {
            var row = JournalOrder(clientOrderID: id, signalID: nil, platform: .polymarket, ticker: spec.yesToken, action: .buy, side: .yes,
                                   limitPrice: price(limit), requested: contracts(count), mode: "demo", createdNanoseconds: 0)
            row.venueOrderID = venueOrderID
            return row
        }

        /// A GTC buy of 10 NO at 0.20 placed through `client`, not the executor (a manual order, another
        /// process or API key).
        func postOutside(through client: PolymarketClient) async throws -> PolyOrderResponse {
            let market = PolyOrderBuilder.Market(tokenID: try #require(UInt256(decimal: spec.noToken)), tick: .cent, negRisk: false)
            let order = try PolyOrderBuilder(signer: sim.signer).order(market, side: .buy, price: Dollars(micros: 200_000), size: Dollars(micros: 10_000_000),
                                                                       type: .gtc, nowMilliseconds: UInt64(Date().timeIntervalSince1970 * 1_000))
            return try await client.post(order, type: .gtc)
        }

        var balance: Int64 { get async { await sim.exchange.balance(sim.signer.address) } }
        func shares(_ side: OutcomeSide) async -> Int64 { await sim.exchange.balance(sim.signer.address, token: spec.token(side)) }
        func venueOrders() async throws -> [PolyTrade] { try await client.trades(market: spec.conditionID) }
    }

    @Test("TS-P11 a FAK buy of 40 with 25 available fills 25 at the book's prices (confirmed trades only), 15 cancelled")
    func fakPartial() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.44", "15")
        await h.quote(.sell, "0.46", "10")
        let result = await h.executor.execute(h.request("fak-1", limit: "0.50", count: "40"))
        #expect(result.order.state == .canceled)
        #expect(result.order.filled == contracts("25"))
        // Fills count in the order their trades are confirmed, which the venue does not promise to keep.
        #expect(result.order.fills.map(\.price).sorted() == [price("0.44"), price("0.46")])
        #expect(result.notional == Dollars(micros: 15 * 440_000 + 10 * 460_000))
        #expect(result.averagePrice == Dollars(micros: (15 * 440_000 + 10 * 460_000) / 25))
        #expect(result.rejection == nil)
        #expect(await h.shares(.yes) == 25_000_000)
        #expect(await h.balance == 100_000 * 1_000_000 - (15 * 440_000 + 10 * 460_000))
        await h.stop()
    }

    @Test("orders signed with prepared nonces: the venue recovers the signer from each and fills them; none fell back to RFC 6979")
    func preparedNonces() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.44", "30")
        for index in 0..<3 {
            let result = await h.executor.execute(h.request("nonce-\(index)", limit: "0.50", count: "10"))
            #expect(result.order.filled == contracts("10"), "the venue took a signature made from a prepared nonce")
        }
        let nonces = try #require(await h.executor.builder.nonces)
        #expect(nonces.prepared >= 64)
        #expect(nonces.fallbacks == 0)
        #expect(await h.shares(.yes) == 30_000_000)
        await h.stop()
    }

    @Test("buying NO trades the NO token at the NO price; the venue's position is NO shares")
    func buyNo() async throws {
        let h = try await Harness.start()
        await h.quote(.buy, "0.62", "10")  // a YES bid at 0.62 is NO offered at 0.38
        let result = await h.executor.execute(h.request("no-1", .buy, .no, limit: "0.40", count: "10"))
        #expect(result.order.state == .filled)
        #expect(result.order.fills.map(\.price) == [price("0.38")])
        #expect(await h.shares(.no) == 10_000_000)
        #expect(try await h.executor.venuePositions() == [h.spec.yesToken: contracts("-10")])
        await h.stop()
    }

    @Test("TS-P12 a FOK that cannot fill: nothing filled, cancelled, the venue's words kept, no position")
    func fokNotFillable() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.44", "5")
        let before = await h.balance
        let result = await h.executor.execute(h.request("fok-1", limit: "0.50", count: "10", tif: .fillOrKill))
        #expect(result.order.state == .canceled)
        #expect(result.order.filled == .zero)
        #expect(result.rejection == "order couldn't be fully filled. FOK orders are fully filled or killed.")
        #expect(await h.balance == before)
        #expect(await h.shares(.yes) == 0)
        await h.stop()
    }

    @Test("TS-P07 the venue takes the order and drops the connection: resolved by the order's hash, filled once, never sent twice")
    func ambiguousSubmit() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.45", "8")
        try h.sim.faults.apply(argument: "POST /order=drop:1", routeNames: PolySimServer.routeNames)
        let result = await h.executor.execute(h.request("amb-1", limit: "0.50", count: "8"))
        #expect(result.order.state == .filled)
        #expect(result.order.filled == contracts("8"))
        #expect(await h.executor.counters.ambiguousSubmits == 1)
        #expect(await h.executor.counters.resolvedByLookup == 1)
        #expect(try await h.venueOrders().count == 1)
        await h.stop()
    }

    @Test("TS-P08 5xx after the venue applied it and every lookup failing: outcome unknown (not rejected); the ledger settles it later from the journal alone")
    func unknownThenReconciled() async throws {
        let h = try await Harness.start(user: false)
        await h.quote(.sell, "0.45", "8")
        try h.sim.faults.apply(argument: "POST /order=error_rate:1,error_after_apply:true", routeNames: PolySimServer.routeNames)
        try h.sim.faults.apply(argument: "GET /data/order/{id}=unavailable:30", routeNames: PolySimServer.routeNames)
        try h.sim.faults.apply(argument: "GET /data/trades=unavailable:30", routeNames: PolySimServer.routeNames)
        let created = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        let result = await h.executor.execute(h.request("unk-1", limit: "0.50", count: "8"))
        #expect(result.order.state == .submitted)
        #expect(result.order.isAmbiguous)
        #expect(result.rejection?.hasPrefix("outcome unknown") == true)
        h.sim.faults.clear()
        await h.sim.exchange.advanceTrades()
        await h.sim.exchange.advanceTrades()
        // A later run knows only the journal's row (no venue id): the id is recomputed from it.
        let row = JournalOrder(clientOrderID: "unk-1", signalID: nil, platform: .polymarket, ticker: h.spec.yesToken, action: .buy, side: .yes,
                               limitPrice: price("0.50"), requested: contracts("8"), mode: "demo", createdNanoseconds: created)
        let record = try #require(try await h.executor.venueOrder(for: row))
        #expect(await eventually {
            (try? await h.executor.venueOrder(for: row))?.status == .executed
        })
        #expect(record.fills.reduce(Contracts.zero) { $0.addingSaturated($1.count) } <= contracts("8"))
        let settled = try #require(try await h.executor.venueOrder(for: row))
        #expect(settled.filled == contracts("8"))
        // An order that never left has no trace on the venue.
        let never = JournalOrder(clientOrderID: "never-1", signalID: nil, platform: .polymarket, ticker: h.spec.yesToken, action: .buy, side: .yes,
                                 limitPrice: price("0.50"), requested: contracts("8"), mode: "demo", createdNanoseconds: created)
        #expect(try await h.executor.venueOrder(for: never) == nil)
        await h.stop()
    }

    @Test("TS-73 a FAK whose trade is still MATCHED when the settlement timeout passes: its outcome is unknown, not \"nothing filled\"; the ledger settles it once the trade is confirmed")
    func tradeNotFinal() async throws {
        let h = try await Harness.start {
            $0.orderTimeout = .seconds(2)
            $0.settlementTimeout = .seconds(2)
        } exchange: { $0.statusStep = nil }
        await h.quote(.sell, "0.45", "8")
        let result = await h.executeDriven(h.request("slow-1", limit: "0.50", count: "8"))
        #expect(!result.order.state.isTerminal && result.order.isAmbiguous, "\(result.order.state)")
        #expect(result.order.filled == .zero, "a trade counts once confirmed")
        #expect(result.rejection?.hasPrefix("outcome unknown: 1 matched trade(s) not final") == true, "\(result.rejection ?? "")")
        await h.sim.exchange.advanceTrades()
        await h.sim.exchange.advanceTrades()
        let known = h.row("slow-1", limit: "0.50", count: "8", venueOrderID: result.order.venueOrderID)
        let record = try #require(try await h.executor.venueOrder(for: known))
        #expect(record.status == .executed && record.filled == contracts("8"))
        await h.stop()
    }

    @Test("TS-P09 definitive refusals: off-tick limit and short balance before sending; the venue's refusal of a sell without shares, verbatim")
    func refusals() async throws {
        let h = try await Harness.start()
        let offTick = await h.executor.execute(h.request("tick-1", limit: "0.455", count: "10"))
        #expect(offTick.order.state == .rejected)
        #expect(offTick.order.rejectionCode == "INVALID_TICK")
        await h.sim.exchange.setBalance(h.sim.signer.address, collateral: Dollars(micros: 2_000_000))
        let poor = await h.executor.execute(h.request("poor-1", limit: "0.45", count: "10"))
        #expect(poor.order.rejectionCode == "INSUFFICIENT_BALANCE")
        await h.quote(.buy, "0.40", "10")
        let sell = await h.executor.execute(h.request("sell-1", .sell, .yes, limit: "0.40", count: "10"))
        #expect(sell.order.state == .rejected)
        #expect(sell.order.rejectionCode == "INSUFFICIENT_BALANCE")
        #expect(sell.rejection == "not enough balance / allowance")
        let zero = await h.executor.execute(h.request("zero-1", limit: "0.40", count: "0"))
        #expect(zero.order.rejectionCode == "INVALID_COUNT")
        #expect(try await h.venueOrders().isEmpty)
        await h.stop()
    }

    @Test("TS-P10 a 429 on submit is sent again as the same order (same hash); it is placed once")
    func rateLimited() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.47", "5")
        try h.sim.faults.apply(argument: "POST /order=rate_limit:1", routeNames: PolySimServer.routeNames)
        let result = await h.executor.execute(h.request("rl-1", limit: "0.50", count: "5"))
        #expect(result.order.state == .filled)
        #expect(await h.executor.counters.rateLimitedSubmits == 1)
        #expect(try await h.venueOrders().count == 1)
        await h.stop()
    }

    @Test("TS-P13 a GTC partly filled rests; at the timeout the remainder is cancelled on the venue and the fills kept; heartbeats fed it meanwhile")
    func gtcTimeout() async throws {
        let h = try await Harness.start { $0.orderTimeout = .seconds(10) }
        await h.quote(.sell, "0.40", "4")
        let run = Task { await h.executor.execute(h.request("gtc-1", limit: "0.40", count: "10", tif: .goodTillCanceled)) }
        #expect(await eventually { (try? await h.client.openOrders(assetID: h.spec.yesToken).count) == 1 })
        #expect(await eventually { await h.executor.counters.heartbeats >= 1 })
        let result = await h.driven(step: .seconds(1)) { await run.value }
        #expect(result.order.state == .canceled)
        #expect(result.order.filled == contracts("4"))
        #expect(result.rejection?.contains("timed out") == true)
        #expect(try await h.client.openOrders().isEmpty)
        #expect(await h.executor.counters.timeoutCancels == 1)
        await h.stop()
    }

    @Test("TS-P14 a fill matched just before the timeout cancel counts once confirmed; the order ends cancelled with it")
    func cancelRacesFill() async throws {
        let h = try await Harness.start { $0.orderTimeout = .seconds(10) } exchange: { $0.statusStep = nil }
        let run = Task { await h.executor.execute(h.request("race-1", limit: "0.40", count: "10", tif: .goodTillCanceled)) }
        #expect(await eventually { (try? await h.client.openOrders(assetID: h.spec.yesToken).count) == 1 })
        #expect(await h.sim.exchange.syntheticTake(h.spec.yesToken, .sell, price: price("0.40"), count: contracts("4")))
        // The order's execution has started (its wait and the heartbeat sleep on the clock), so its
        // deadline is counted from before the jump: on a loaded machine the venue can list the order
        // before the executor starts following it.
        await h.clock.waitForSleepers(2)
        h.clock.advance(by: .seconds(11))  // the timeout: cancel while the trade is only matched
        #expect(await eventually { (try? await h.client.openOrders().isEmpty) == true })
        await h.sim.exchange.advanceTrades()
        await h.sim.exchange.advanceTrades()
        let result = await h.driven(step: .seconds(1)) { await run.value }
        #expect(result.order.state == .canceled)
        #expect(result.order.filled == contracts("4"))
        await h.stop()
    }

    @Test("TS-P15 the same trade heard on the user channel and read from REST counts once")
    func duplicateFill() async throws {
        let h = try await Harness.start { $0.safetyPollInterval = .milliseconds(1) } exchange: { $0.statusStep = .milliseconds(60) }
        await h.quote(.sell, "0.45", "6")
        let result = await h.driven(step: .milliseconds(5)) { await h.executor.execute(h.request("dup-1", limit: "0.45", count: "6")) }
        #expect(result.order.fills.count == 1)
        #expect(result.order.filled == contracts("6"))
        await h.stop()
    }

    @Test("TS-P16 a fill beyond the order's size is a fault and is not applied")
    func overfill() async throws {
        let h = try await Harness.start { $0.orderTimeout = .seconds(10) }
        let run = Task { await h.executor.execute(h.request("over-1", limit: "0.30", count: "5", tif: .goodTillCanceled)) }
        #expect(await eventually { (try? await h.client.openOrders(assetID: h.spec.yesToken).count) == 1 })
        let orderID = try #require(try await h.client.openOrders(assetID: h.spec.yesToken).first?.id)
        await h.executor.handle(.trade(PolyTrade(
            id: "trade-forged", takerOrderID: "0xother", market: h.spec.conditionID, assetID: h.spec.yesToken, side: "SELL", size: "9", price: "0.30",
            status: "CONFIRMED", matchTime: "0", lastUpdate: "0", outcome: "Yes", owner: "x", makerAddress: "0x0", traderSide: "MAKER", feeRateBps: "0",
            transactionHash: nil, makerOrders: [PolyMakerOrder(orderID: orderID, owner: "x", makerAddress: nil, matchedAmount: "9", price: "0.30",
                                                                assetID: h.spec.yesToken, outcome: "Yes")])))
        let result = await run.value
        #expect(result.fault?.code == .overfill)
        #expect(result.order.filled == .zero)
        #expect(await h.executor.counters.overfills == 1)
        _ = try await h.client.cancelAll()
        await h.stop()
    }

    @Test("TS-35 a FAK answered \"live\" with nothing matched, matching later: followed to its fill")
    func delayedMatch() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.45", "5")
        await h.sim.exchange.delayNextOrders(1, by: .milliseconds(150))
        let result = await h.executor.execute(h.request("late-1", limit: "0.45", count: "5"))
        #expect(result.order.state == .filled)
        #expect(await h.executor.counters.delayedOrders == 1)
        await h.stop()
    }

    @Test("TS-73 a delayed FAK the venue will not cancel at the timeout (not_canceled \"Order not found or already canceled\") is not read as done: its outcome stays unknown until the venue's record says how it ended")
    func delayedNotCancelled() async throws {
        let h = try await Harness.start {
            $0.orderTimeout = .seconds(1)
            $0.settlementTimeout = .seconds(2)
        }
        await h.quote(.sell, "0.45", "5")
        await h.sim.exchange.delayNextOrders(1, by: nil, cancellable: false)
        let result = await h.executeDriven(h.request("held-1", limit: "0.45", count: "5"))
        #expect(!result.order.state.isTerminal && result.order.isAmbiguous, "\(result.order.state): never cancelled as unfilled")
        #expect(result.order.filled == .zero)
        #expect(await h.executor.counters.timeoutCancels == 1)
        // The venue ends the delay: the order matches, and its record says so.
        await h.sim.exchange.releaseDelayed()
        let known = h.row("held-1", limit: "0.45", count: "5", venueOrderID: result.order.venueOrderID)
        #expect(await eventually(.seconds(30)) { (try? await h.executor.venueOrder(for: known))??.filled == contracts("5") })
        #expect(await h.shares(.yes) == 5_000_000, "the venue holds the 5 shares the order bought")
        await h.stop()
    }

    @Test("a timeout cancel the venue does not answer is tried again every safety poll, not in a loop, until the settlement timeout; then the outcome is unknown")
    func cancelUnanswered() async throws {
        let h = try await Harness.start {
            $0.orderTimeout = .seconds(1)
            $0.settlementTimeout = .seconds(5)
            $0.safetyPollInterval = .seconds(2)
        }
        try h.sim.faults.apply(argument: "DELETE /order=unavailable:1000", routeNames: PolySimServer.routeNames)
        let result = await h.executeDriven(h.request("rest-1", limit: "0.30", count: "5", tif: .goodTillCanceled))
        #expect(!result.order.state.isTerminal && result.order.isAmbiguous, "\(result.order.state)")
        // At the timeout (1 s), then at most 2 s and 4 s later, before the settlement timeout (6 s); the
        // clock runs while anything sleeps on it, so fewer when it runs ahead of a request. Not hundreds.
        let tries = h.sim.faults.requests("DELETE /order")
        #expect((1...3).contains(tries), "\(tries) cancel requests")
        #expect(await h.executor.counters.timeoutCancels == 1)
        h.sim.faults.clear()
        _ = try await h.client.cancelAll()
        await h.stop()
    }

    @Test("a matched trade the venue then FAILS never counts: nothing filled, the order cancelled, the money back")
    func failedTrade() async throws {
        let h = try await Harness.start()
        await h.quote(.sell, "0.45", "5")
        let before = await h.balance
        await h.sim.exchange.failNextTrades(1)
        let result = await h.executor.execute(h.request("fail-1", limit: "0.45", count: "5"))
        #expect(result.order.filled == .zero)
        #expect(result.order.state == .canceled)
        #expect(result.timing.firstFill != nil)  // it did match, provisionally
        #expect(await h.executor.counters.failedTrades == 1)
        #expect(await h.balance == before)
        #expect(await h.shares(.yes) == 0)
        await h.stop()
    }

    @Test("TS-P24 an open order of another API key on the account is listed as external; this key's own are not")
    func externalOrders() async throws {
        let h = try await Harness.start()
        let other = try await h.sim.client(authenticate: false)
        try await other.createOrDeriveAPIKey(nonce: UInt256(1))
        _ = try await h.postOutside(through: other)
        let listed = try await h.executor.listedOrders { _ in false }
        #expect(listed.count == 1)
        #expect(listed.first?.ticker == h.spec.yesToken)
        #expect(listed.first?.side == .no)
        #expect(listed.first?.limit == price("0.20"))
        #expect(listed.first?.initial == contracts("10"))
        await h.stop()
    }

    @Test("cancelAll cancels the orders the executor works, by id, tried again after a 503; another order of the same key (a manual order, another process) stays")
    func cancelAllOwnOrders() async throws {
        let h = try await Harness.start { $0.orderTimeout = Self.beyondTheTest }
        let placed = try await h.postOutside(through: h.client)
        let work = Task { await h.executor.execute(h.request("mine-1", limit: "0.30", count: "5", tif: .goodTillCanceled)) }
        #expect(await eventually(.seconds(30)) { (try? await h.client.openOrders().count) == 2 })
        try h.sim.faults.apply(argument: "DELETE /orders=unavailable:1", routeNames: PolySimServer.routeNames)
        let (cancelled, result) = await h.driven(step: .milliseconds(50)) { (await h.executor.cancelAll(), await work.value) }
        #expect(cancelled == 1)
        #expect(result.order.state == .canceled, "\(result.order.state)")
        #expect(h.sim.faults.requests("DELETE /orders") == 2, "a 503, then the cancel")
        let open = try await h.client.openOrders()
        #expect(open.map(\.id) == [placed.orderID], "the manual order is still open: \(open.map(\.id))")
        _ = try await h.client.cancelAll()
        await h.stop()
    }

    @Test("cancelAll with more orders than one DELETE /orders takes (3,000 at the venue; 2 here): several requests, every order cancelled; the venue refuses 3,001 ids in one")
    func cancelAllInChunks() async throws {
        let h = try await Harness.start {
            $0.orderTimeout = Self.beyondTheTest
            $0.cancelIDsPerRequest = 2
        }
        let works = (1...5).map { index in
            Task { await h.executor.execute(h.request("many-\(index)", limit: "0.30", count: "5", tif: .goodTillCanceled)) }
        }
        #expect(await eventually(.seconds(30)) { (try? await h.client.openOrders().count) == 5 })
        let (cancelled, states) = await h.driven(step: .milliseconds(50)) {
            var states: [OrderState] = []
            let cancelled = await h.executor.cancelAll()
            for work in works { states.append(await work.value.order.state) }
            return (cancelled, states)
        }
        #expect(cancelled == 5)
        #expect(states == Array(repeating: .canceled, count: 5))
        #expect(h.sim.faults.requests("DELETE /orders") == 3)
        #expect(try await h.client.openOrders().isEmpty)
        do {
            _ = try await h.client.cancel(orderIDs: (0...3_000).map { "0x\($0)" })
            Issue.record("3,001 ids accepted")
        } catch {
            guard case let .rejected(status, message) = error.kind else { Issue.record("\(error)"); return }
            #expect(status == 400 && message.contains("max allowed: 3000"), "\(status) \(message)")
        }
        await h.stop()
    }

    @Test("cancelAll while a GTC order is still being placed (the venue does not have it yet: not_canceled): cancelled as soon as the venue accepts it")
    func cancelAllDuringSubmit() async throws {
        let h = try await Harness.start { $0.orderTimeout = Self.beyondTheTest }
        try h.sim.faults.apply(argument: "POST /order=latency_ms:3000", routeNames: PolySimServer.routeNames)
        let work = Task { await h.executor.execute(h.request("placing-1", limit: "0.30", count: "5", tif: .goodTillCanceled)) }
        #expect(await eventually(.seconds(30)) { h.sim.faults.requests("POST /order") == 1 })
        #expect(await h.executor.cancelAll() == 0, "the venue did not have it yet")
        let result = await h.driven(step: .milliseconds(50)) { await work.value }
        #expect(result.order.state == .canceled, "\(result.order.state)")
        #expect(result.rejection == "cancel-all while it was being placed; remainder cancelled", "\(result.rejection ?? "")")
        #expect(try await h.client.openOrders().isEmpty)
        await h.stop()
    }
}
