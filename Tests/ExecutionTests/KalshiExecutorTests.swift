import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
import TradingClient
@testable import Execution
import KalshiVenue

/// The live executor against the simulator over loopback: fills from the venue, faults resolved by
/// `client_order_id`, timeouts on an injected clock.
@Suite("KalshiExecutor on the simulator")
struct KalshiExecutorTests {
    static let ticker = "KXNFL-26JAN11-BUF"

    struct Harness {
        let sim: SimFixture
        let client: KalshiTradingClient
        let executor: KalshiExecutor<ManualClock>
        let clock: ManualClock

        var account: String { sim.credentials.keyID.rawValue }

        static func start(_ detection: FillDetection = .websocket, configure: (inout KalshiExecutor<ManualClock>.Settings) -> Void = { _ in }) async throws -> Harness {
            let sim = try await SimFixture.start()
            let client = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
            let clock = ManualClock()
            var settings = KalshiExecutor<ManualClock>.Settings()
            settings.fillDetection = detection
            settings.resolveBackoff = .zero
            settings.rateLimitBackoff = .zero
            configure(&settings)
            let stream = detection == .websocket ? AccountStream(socket: sim.webSocket()) : nil
            let executor = KalshiExecutor(client: client, account: stream, clock: clock, settings: settings)
            try await executor.start()
            return Harness(sim: sim, client: client, executor: executor, clock: clock)
        }

        func stop() async {
            await executor.stop()
            try? await client.shutdown()
            await sim.stop()
        }

        /// Liquidity from another account: `side` of the YES book at `yesPrice`.
        func quote(_ side: BookSide, _ yesPrice: String, _ count: String, id: String = UUID().uuidString) async {
            _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(
                ticker: KalshiExecutorTests.ticker, clientOrderID: id, side: side, count: contracts(count), price: price(yesPrice),
                timeInForce: .goodTillCanceled))
        }

        func venueOrders() async throws -> [KalshiOrder] {
            try await client.orders(OrderFilter(ticker: KalshiExecutorTests.ticker)).collect()
        }
    }

    static func request(_ id: String, _ action: OrderAction = .buy, _ side: OutcomeSide = .yes, limit: String, count: String,
                        tif: TimeInForce = .immediateOrCancel) -> ExecutionRequest {
        ExecutionRequest(clientOrderID: id, ticker: ticker, seriesTicker: "KXNFL", action: action, side: side, limit: price(limit),
                         count: contracts(count), timeInForce: tif)
    }

    @Test("TS-11 an IOC buy fills at the venue's prices, not the limit, with the venue's fees", arguments: FillDetection.allCases)
    func iocFill(detection: FillDetection) async throws {
        let h = try await Harness.start(detection)
        await h.quote(.ask, "0.44", "3")
        await h.quote(.ask, "0.46", "10")
        let driver = detection == .polling ? h.clock.drive(step: .milliseconds(200)) : nil
        let result = await h.executor.execute(Self.request("ioc-1", limit: "0.50", count: "5"))
        driver?.cancel()
        #expect(result.order.state == .filled)
        #expect(result.order.fills.map(\.price) == [price("0.44"), price("0.46")])
        #expect(result.notional == Dollars(micros: 3 * 440_000 + 2 * 460_000))
        #expect(result.fees.micros > 0)
        #expect(result.rejection == nil)
        await h.stop()
    }

    @Test("BUY_NO at q is an ask at 1 − q on the YES book; the fill is reported as a NO price")
    func buyNo() async throws {
        let h = try await Harness.start()
        await h.quote(.bid, "0.58", "4")
        let result = await h.executor.execute(Self.request("no-1", .buy, .no, limit: "0.45", count: "4"))
        #expect(result.order.state == .filled)
        #expect(result.order.fills.map(\.price) == [price("0.42")])
        let position = await h.executor.positions()[Self.ticker]
        #expect(position == Contracts(hundredths: -400))
        await h.stop()
    }

    @Test("an IOC with nothing to take is cancelled at once, unfilled")
    func iocNothing() async throws {
        let h = try await Harness.start()
        let result = await h.executor.execute(Self.request("ioc-empty", limit: "0.10", count: "5"))
        #expect(result.order.state == .canceled)
        #expect(result.order.filled == .zero)
        await h.stop()
    }

    @Test("TS-13 partial fill then timeout: the remainder is cancelled on the venue", arguments: FillDetection.allCases)
    func partialThenTimeout(detection: FillDetection) async throws {
        let h = try await Harness.start(detection)
        let work = Task { await h.executor.execute(Self.request("gtc-1", limit: "0.40", count: "10", tif: .goodTillCanceled)) }
        // Wait for the order to rest, then let another account sell 4 into it. Up to 30 s: in a full parallel
        // suite's first seconds the in-process simulator's connection task has been seen not to run for 10 s
        // (the client's request timeout); a read is then tried again, and this wait must outlast that.
        #expect(await eventually(timeout: .seconds(30)) { (try? await h.venueOrders().first { $0.clientOrderID == "gtc-1" }?.status) == .resting })
        #expect(await eventually { await !h.executor.openOrders().isEmpty })
        await h.quote(.ask, "0.40", "4")
        if detection == .websocket {
            #expect(await eventually { await h.executor.openOrders().first?.filled == contracts("4") })
        }
        // Step the injected clock to the timeout (through the 200 ms polls when polling).
        let driver = h.clock.drive(step: .milliseconds(200))
        let result = await work.value
        driver.cancel()
        #expect(result.order.filled == contracts("4"))
        #expect(result.order.state == .canceled)
        #expect(result.rejection?.contains("timed out") == true)
        #expect(try await h.venueOrders().first { $0.clientOrderID == "gtc-1" }?.status == .canceled)
        #expect(await h.executor.counters.timeoutCancels == 1)
        await h.stop()
    }

    @Test("TS-07 a 5xx or dropped connection after the venue applied the order is resolved by client_order_id: one order, its fills", arguments: ["error_rate:1,error_after_apply:true", "drop:1", "malformed:1"])
    func ambiguousSubmit(fault: String) async throws {
        let h = try await Harness.start()
        await h.quote(.ask, "0.47", "5")
        try h.sim.faults.apply(argument: "POST /portfolio/events/orders=\(fault)")
        let result = await h.executor.execute(Self.request("amb-1", limit: "0.50", count: "5"))
        h.sim.faults.clear()
        #expect(result.order.state == .filled)
        #expect(result.order.fills.map(\.price) == [price("0.47")])
        #expect(try await h.venueOrders().filter { $0.clientOrderID == "amb-1" }.count == 1)
        #expect(await h.executor.counters.ambiguousSubmits == 1)
        #expect(await h.executor.counters.resolvedByLookup == 1)
        await h.stop()
    }

    @Test("TS-42 a 5xx before the venue applied anything: lookups say not found, and that is not evidence; the order stays unresolved")
    func ambiguousNotApplied() async throws {
        let h = try await Harness.start()
        try h.sim.faults.apply(argument: "POST /portfolio/events/orders=error_rate:1")
        let result = await h.executor.execute(Self.request("amb-2", limit: "0.50", count: "5"))
        h.sim.faults.clear()
        #expect(result.order.state == .submitted && result.order.isAmbiguous, "never marked rejected (or anything final) on three quick lookups")
        #expect(result.order.rejectionCode == nil)
        #expect(result.rejection?.contains("outcome unknown") == true)
        #expect(try await h.venueOrders().isEmpty)
        await h.stop()
    }

    @Test("TS-73 fills the venue counts but its REST fills do not show yet (they lag): the order's outcome stays unknown, never cancelled as unfilled; the ledger settles it once they show")
    func laggingFills() async throws {
        let h = try await Harness.start(.polling) { $0.orderTimeout = .seconds(2) }
        await h.quote(.ask, "0.47", "3")
        try h.sim.faults.apply(argument: "GET /portfolio/fills=stale_ms:600000")
        let work = Task { await h.executor.execute(Self.request("lag-1", limit: "0.50", count: "5")) }
        let driver = h.clock.drive(step: .milliseconds(200))
        let result = await work.value
        driver.cancel()
        #expect(!result.order.state.isTerminal && result.order.isAmbiguous, "not cancelled with 0 filled: \(result.order.state)")
        #expect(result.order.filled == .zero)
        #expect(result.rejection?.contains("outcome unknown: the venue counts 3.00 filled (canceled) but its fills show 0.00") == true,
                "\(result.rejection ?? "")")
        let venue = try #require(try await h.venueOrders().first { $0.clientOrderID == "lag-1" })
        #expect(venue.status == .canceled && venue.fillCountFP == contracts("3"))

        // Asked again once the venue's fills show them: its record is complete.
        h.sim.faults.clear()
        let row = JournalOrder(clientOrderID: "lag-1", signalID: nil, platform: .kalshi, ticker: Self.ticker, action: .buy, side: .yes,
                               limitPrice: price("0.50"), requested: contracts("5"), mode: "demo", createdNanoseconds: 0)
        let record = try #require(try await h.executor.venueOrder(for: row))
        #expect(record.status == .canceled && record.filled == contracts("3"))
        #expect(record.fills.map(\.count) == [contracts("3")] && record.fills.map(\.price) == [price("0.47")])
        await h.stop()
    }

    @Test("TS-10 a 429 on submit is retried with the same client_order_id; the order is placed once")
    func rateLimitedSubmit() async throws {
        let h = try await Harness.start()
        await h.quote(.ask, "0.47", "5")
        try h.sim.faults.apply(argument: "POST /portfolio/events/orders=rate_limit:1")
        let result = await h.executor.execute(Self.request("rl-1", limit: "0.50", count: "5"))
        #expect(result.order.state == .filled)
        #expect(try await h.venueOrders().count == 1)
        #expect(await h.executor.counters.rateLimitedSubmits == 1)
        await h.stop()
    }

    @Test("TS-15 the same fill heard on the WebSocket and read from REST is applied once")
    func duplicateFill() async throws {
        let h = try await Harness.start { $0.confirmFillsWithREST = true }
        await h.quote(.ask, "0.45", "6")
        let result = await h.executor.execute(Self.request("dup-1", limit: "0.45", count: "6"))
        #expect(result.order.fills.count == 1)
        #expect(result.order.filled == contracts("6"))
        #expect(await h.executor.counters.duplicateFillsDropped == 1)
        await h.stop()
    }

    @Test("a buy the balance cannot cover is refused before anything is sent")
    func insufficientBalance() async throws {
        let h = try await Harness.start()
        // $150,000 of contracts against the simulator's $100,000 starting balance.
        let result = await h.executor.execute(Self.request("poor-1", limit: "0.50", count: "300000"))
        #expect(result.order.state == .rejected)
        #expect(result.order.rejectionCode == "INSUFFICIENT_BALANCE")
        #expect(try await h.venueOrders().isEmpty)
        await h.stop()
    }

    @Test("a timeout cancel the venue does not answer (503) is tried again: the remainder is cancelled on the venue, not left resting with its outcome unknown")
    func cancelRetried() async throws {
        let h = try await Harness.start(.polling) { $0.orderTimeout = .seconds(2) }
        try h.sim.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=unavailable:2")
        let work = Task { await h.executor.execute(Self.request("gtc-503", limit: "0.40", count: "10", tif: .goodTillCanceled)) }
        let driver = h.clock.drive(step: .milliseconds(200))
        let result = await work.value
        driver.cancel()
        #expect(result.order.state == .canceled && !result.order.isAmbiguous, "\(result.order.state) \(result.rejection ?? "")")
        #expect(h.sim.server.faults.requests("DELETE /portfolio/events/orders/{order_id}") == 3, "two 503s, then the cancel")
        #expect(try await h.venueOrders().first { $0.clientOrderID == "gtc-503" }?.status == .canceled)
        #expect(await h.executor.counters.timeoutCancels == 1)
        await h.stop()
    }

    @Test("cancelAll while a GTC order is still being placed (not tracked yet): the order is cancelled as soon as the venue accepts it, not left resting to its timeout")
    func cancelAllDuringSubmit() async throws {
        let h = try await Harness.start { $0.orderTimeout = .seconds(600) }
        try h.sim.server.faults.apply(argument: "POST /portfolio/events/orders=latency_ms:3000")
        let work = Task { await h.executor.execute(Self.request("gtc-placing", limit: "0.40", count: "10", tif: .goodTillCanceled)) }
        #expect(await eventually(timeout: .seconds(30)) { h.sim.server.faults.requests("POST /portfolio/events/orders") == 1 })
        #expect(await h.executor.cancelAll() == 0, "nothing tracked yet")
        let result = await work.value
        #expect(result.order.state == .canceled, "\(result.order.state)")
        #expect(result.rejection == "cancel-all while it was being placed; remainder cancelled", "\(result.rejection ?? "")")
        #expect(try await h.venueOrders().first { $0.clientOrderID == "gtc-placing" }?.status == .canceled)
        await h.stop()
    }

    @Test("cancelAll cancels the orders it works at once, not one after another: three resting orders' cancels all reach the venue before the first is answered")
    func cancelAllConcurrent() async throws {
        let h = try await Harness.start {
            $0.orderTimeout = .seconds(600)
            $0.cancelBatchSize = 1
        }
        let works = await Self.resting(h, 3)
        // Each cancel is answered 5 s after it arrives: one after another, the second would arrive 5 s later.
        try h.sim.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=latency_ms:5000")
        let cancelling = Task { await h.executor.cancelAll() }
        #expect(await eventually(timeout: .seconds(4)) { h.sim.server.faults.requests("DELETE /portfolio/events/orders/{order_id}") == 3 })
        #expect(await cancelling.value == 3)
        for work in works { #expect(await work.value.order.state == .canceled) }
        #expect(try await h.venueOrders().allSatisfy { $0.status == .canceled })
        await h.stop()
    }

    /// `count` GTC orders resting on the venue, each worked by its own execution.
    static func resting(_ h: Harness, _ count: Int) async -> [Task<ExecutionResult, Never>] {
        let works = (1...count).map { index in
            Task { await h.executor.execute(Self.request("gtc-\(index)", limit: "0.40", count: "1", tif: .goodTillCanceled)) }
        }
        #expect(await eventually(timeout: .seconds(30)) { await h.executor.openOrders().count == count })
        return works
    }

    static let batchedCancel = "DELETE /portfolio/events/orders/batched"
    static let singleCancel = "DELETE /portfolio/events/orders/{order_id}"

    @Test("cancelAll sends its cancels in batches: 25 resting orders, two batched requests (20 and 5), no single cancel, all cancelled")
    func cancelAllBatched() async throws {
        let h = try await Harness.start { $0.orderTimeout = .seconds(600) }
        let works = await Self.resting(h, 25)
        #expect(await h.executor.cancelAll() == 25)
        #expect(h.sim.server.faults.requests(Self.batchedCancel) == 2)
        #expect(h.sim.server.faults.requests(Self.singleCancel) == 0)
        for work in works { #expect(await work.value.order.state == .canceled) }
        #expect(try await h.venueOrders().map(\.status) == Array(repeating: .canceled, count: 25))
        #expect(await h.executor.openOrders().isEmpty)
        await h.stop()
    }

    @Test("cancelAll: a batch the venue does not answer (503) is cancelled order by order; every order cancelled")
    func cancelAllBatchUnanswered() async throws {
        let h = try await Harness.start { $0.orderTimeout = .seconds(600) }
        let works = await Self.resting(h, 4)
        try h.sim.server.faults.apply(argument: "\(Self.batchedCancel)=error_rate:1")
        #expect(await h.executor.cancelAll() == 4)
        #expect(h.sim.server.faults.requests(Self.batchedCancel) == 1)
        #expect(h.sim.server.faults.requests(Self.singleCancel) == 4)
        for work in works { #expect(await work.value.order.state == .canceled) }
        await h.stop()
    }

    @Test("cancelAll: an order the batch answers with an error of its own is asked on its own; one already ended is refused there, not counted, and no longer named as open")
    func cancelAllBatchItemRefused() async throws {
        // Polling on a clock that does not move: the executor does not learn of the cancel made at the venue.
        let h = try await Harness.start(.polling) { $0.orderTimeout = .seconds(600) }
        let works = await Self.resting(h, 3)
        let ended = try #require(try await h.venueOrders().first { $0.clientOrderID == "gtc-2" })
        _ = await h.sim.exchange.cancelOrder(account: h.account, orderID: ended.orderID)
        #expect(await h.executor.cancelAll() == 2)
        #expect(h.sim.server.faults.requests(Self.batchedCancel) == 1)
        #expect(h.sim.server.faults.requests(Self.singleCancel) == 1)
        #expect(await h.executor.openOrders().isEmpty)
        let driver = h.clock.drive(step: .milliseconds(200))
        for work in works { #expect(await work.value.order.state == .canceled) }
        driver.cancel()
        await h.stop()
    }

    @Test("TS-14 a cancel racing a fill: the fill is kept, the rest cancelled, cancelAll counts the order")
    func cancelRacingFill() async throws {
        let h = try await Harness.start()
        let work = Task { await h.executor.execute(Self.request("race-1", limit: "0.40", count: "5", tif: .goodTillCanceled)) }
        #expect(await eventually { await !h.executor.openOrders().isEmpty })
        #expect(await eventually { (try? await h.venueOrders().first?.status) == .resting })
        await h.quote(.ask, "0.40", "2")
        let cancelled = await h.executor.cancelAll()
        let result = await work.value
        #expect(cancelled == 1)
        #expect(result.order.filled == contracts("2"))
        #expect(result.order.state == .canceled)
        #expect(result.order.fills.first?.price == price("0.40"))
        await h.stop()
    }

    @Test("TS-17 an off-grid limit is refused before sending")
    func offGrid() async throws {
        let h = try await Harness.start()
        let result = await h.executor.execute(Self.request("grid-1", limit: "0.505", count: "1"))
        #expect(result.order.rejectionCode == "PRICE_OFF_GRID")
        #expect(try await h.venueOrders().isEmpty)
        await h.stop()
    }
}
