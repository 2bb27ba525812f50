import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Synchronization
import Testing
import TradingClient
@testable import Execution
import KalshiVenue

/// A scripted executor: records what the journal held when it was called and answers with `answer`.
final class ScriptedExecutor: Executor, Sendable {
    let journal: Journal
    let answer: @Sendable (ExecutionRequest) -> ExecutionResult
    let seenStates = Mutex<[OrderState?]>([])

    init(journal: Journal, answer: @escaping @Sendable (ExecutionRequest) -> ExecutionResult) {
        self.journal = journal
        self.answer = answer
    }

    func execute(_ request: ExecutionRequest) async -> ExecutionResult {
        // Durable before the executor sees it: its row, or the intent line start-up writes back as pending.
        let intent = (try? journal.intents?.read())?.first { $0.clientOrderID == request.clientOrderID }
        let state = (try? journal.order(request.clientOrderID)?.state) ?? intent?.state
        seenStates.withLock { $0.append(state) }
        return answer(request)
    }
    func cancelAll() async -> Int { 0 }
    func openOrders() async -> [OrderLifecycle] { [] }
    func positions() async -> [String: Contracts] { [:] }
}

@Suite("Execution service: breaker → journal → executor")
struct ExecutionServiceTests {
    static let ticker = "KXNFL-26JAN11-BUF"

    static func ticket(_ id: String, count: String = "5", limit: String = "0.45", tif: TimeInForce = .immediateOrCancel) -> OrderTicket {
        OrderTicket(request: ExecutionRequest(clientOrderID: id, ticker: ticker, seriesTicker: "KXNFL", action: .buy, side: .yes,
                                              limit: price(limit), count: contracts(count), timeInForce: tif),
                    eventTicker: "KXNFL-26JAN11", expectedPrice: price("0.44"), edge: Dollars(micros: 50_000))
    }

    static func filled(_ request: ExecutionRequest, fills: [(String, String)]) -> ExecutionResult {
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        try? order.markSubmitted()
        try? order.acknowledge(venueOrderID: "v-" + request.clientOrderID)
        var fault: OrderTransitionError?
        for (index, fill) in fills.enumerated() {
            do {
                try order.apply(ExecutionFill(fillID: "\(request.clientOrderID)-f\(index)", count: contracts(fill.0), price: price(fill.1),
                                              fee: Dollars(micros: 10_000), role: .taker, timestampNanoseconds: 1))
            } catch { fault = error }
        }
        if order.remaining.isPositive, fault == nil { try? order.cancel() }
        return ExecutionResult(order, rejection: nil, fault: fault)
    }

    static func settings(maxPosition: Int64 = 100) -> BreakerSettings {
        var limits = RiskLimits()
        limits.maxPositionSize = Contracts(hundredths: maxPosition * 100)
        limits.minTimeBetweenOrders = .zero
        return BreakerSettings(limits: limits)
    }

    @Test("the order is durable (pending) before the executor sees it; fills, position and latencies follow")
    func journalBeforeSend() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        let executor = ScriptedExecutor(journal: journal) { Self.filled($0, fills: [("3", "0.44"), ("2", "0.45")]) }
        let service = try ExecutionService(executor: executor, journal: journal, mode: .paper, breaker: Self.settings())
        guard case let .executed(result) = await service.execute(Self.ticket("o-1")) else { Issue.record("not executed"); return }
        #expect(executor.seenStates.withLock { $0 } == [.pending])
        #expect(result.order.state == .filled)
        let row = try #require(try journal.order("o-1"))
        #expect(row.state == .filled && row.filled == contracts("5"))
        #expect(try journal.fills("o-1").count == 2)
        #expect(try journal.positions()[Self.ticker] == contracts("5"))
        #expect(service.metrics.summary(.signalToComplete).count == 1)
        // Expected 0.44 with an edge of 0.05; filled 3 @ 0.44 + 2 @ 0.45 = 0.444 average, fees 0.02.
        #expect(result.slippage == Dollars(micros: 4_000))
        #expect(result.potentialProfit == Dollars(micros: (50_000 - 4_000) * 5 - 20_000))
        #expect(service.metrics.prometheusText().contains("executor_orders_total"))
        // Ended within the row delay: the row came with the completion, once; its intent is done with.
        #expect(try journal.events("o-1").map(\.event) == ["created", "completed"])
        #expect(try journal.intents?.read().isEmpty == false, "the intent line stays until the log is compacted")
    }

    @Test("an order still out after the row delay gets its row from the delayed insert; the completion only updates it")
    func slowOrderRow() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        /// Fills once the delayed insert has written the order's row (waits for it, bounded).
        struct RowWaiter: Executor {
            let journal: Journal
            func execute(_ request: ExecutionRequest) async -> ExecutionResult {
                let deadline = ContinuousClock.now + .seconds(10)
                while (try? journal.order(request.clientOrderID)) == nil, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(1)) }
                return ExecutionServiceTests.filled(request, fills: [("5", "0.45")])
            }
            func cancelAll() async -> Int { 0 }
            func openOrders() async -> [OrderLifecycle] { [] }
            func positions() async -> [String: Contracts] { [:] }
        }
        let executor = RowWaiter(journal: journal)
        let service = try ExecutionService(executor: executor, journal: journal, mode: .paper, breaker: Self.settings())
        guard case .executed = await service.execute(Self.ticket("o-2")) else { Issue.record("not executed"); return }
        #expect(try journal.events("o-2").map(\.event) == ["created", "completed"])
        #expect(try journal.order("o-2")?.state == .filled)
    }

    @Test("TS-18 a denial is journaled with its code and nothing reaches the executor")
    func denialJournaled() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        let executor = ScriptedExecutor(journal: journal) { Self.filled($0, fills: []) }
        let service = try ExecutionService(executor: executor, journal: journal, mode: .paper, breaker: Self.settings(maxPosition: 10))
        guard case let .denied(denial) = await service.execute(Self.ticket("big", count: "50")) else { Issue.record("not denied"); return }
        #expect(denial.code == .positionSizeExceedsLimit)
        #expect(executor.seenStates.withLock { $0 }.isEmpty)
        #expect(try journal.order("big") == nil)
        #expect(try journal.denialCounts() == ["POSITION_SIZE_EXCEEDS_LIMIT": 1])
    }

    @Test("TS-16 an overfill halts the breaker and its fills stay journaled for investigation")
    func overfillHalts() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        let executor = ScriptedExecutor(journal: journal) { Self.filled($0, fills: [("4", "0.44"), ("4", "0.45")]) }
        let service = try ExecutionService(executor: executor, journal: journal, mode: .demo, breaker: Self.settings())
        guard case let .executed(result) = await service.execute(Self.ticket("over", count: "5")) else { Issue.record("not executed"); return }
        #expect(result.fault?.code == .overfill)
        #expect(await service.haltReason?.hasPrefix("OVERFILL") == true)
        #expect(try journal.fills("over").count == 1)
        guard case let .denied(denial) = await service.execute(Self.ticket("next")) else { Issue.record("not denied"); return }
        #expect(denial.code == .manualHalt)
    }

    @Test("TS-19 a halt survives a restart of the service and only resume lifts it")
    func haltSurvivesRestart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/j.sqlite"
        do {
            let journal = try Journal(path: path)
            let service = try ExecutionService(executor: ScriptedExecutor(journal: journal) { Self.filled($0, fills: []) }, journal: journal,
                                               mode: .paper, breaker: Self.settings())
            await service.halt(reason: "operator: news pending")
        }
        let journal = try Journal(path: path)
        let service = try ExecutionService(executor: ScriptedExecutor(journal: journal) { Self.filled($0, fills: [("5", "0.45")]) }, journal: journal,
                                           mode: .paper, breaker: Self.settings())
        guard case let .denied(denial) = await service.execute(Self.ticket("a")) else { Issue.record("not denied"); return }
        #expect(denial.code == .manualHalt)
        #expect(await service.status().breaker == "halted")
        await service.resume()
        guard case .executed = await service.execute(Self.ticket("b")) else { Issue.record("not executed after resume"); return }
    }
}

/// Start-up reconciliation against the simulator: what a crash left in the journal is settled with the venue.
@Suite("Reconciliation after a crash")
struct ReconciliationTests {
    static let ticker = ExecutionServiceTests.ticker

    struct Setup {
        let dir: TemporaryDirectory
        let sim: SimFixture
        let client: KalshiTradingClient
        let executor: KalshiExecutor<ContinuousClock>
        let journal: Journal

        static func start() async throws -> Setup {
            let dir = try TemporaryDirectory()
            let sim = try await SimFixture.start()
            let client = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
            let executor = KalshiExecutor(client: client, account: nil, clock: ContinuousClock())
            return Setup(dir: dir, sim: sim, client: client, executor: executor, journal: try Journal(path: dir.path + "/j.sqlite"))
        }

        func stop() async {
            try? await client.shutdown()
            await sim.stop()
            dir.remove()
        }

        func row(_ id: String, state: OrderState, count: String = "5") throws {
            try journal.insert(JournalOrder(clientOrderID: id, signalID: nil, ticker: ReconciliationTests.ticker, action: .buy, side: .yes,
                                            limitPrice: price("0.40"), requested: contracts(count), mode: "demo", createdNanoseconds: 1))
            if state != .pending { try journal.update(id, state: state, at: 2, event: "submitted") }
        }

        func reconcile(threshold: Contracts = .zero, now: Int64 = 3) async throws -> ReconciliationReport {
            try await Reconciler(journal: journal, ledger: executor, driftThreshold: threshold).run(nowNanoseconds: now)
        }
    }

    @Test("TS-22 killed after the order row committed, before the request: never sent, nothing on the venue")
    func crashBeforeSend() async throws {
        let s = try await Setup.start()
        try s.row("c-1", state: .pending)
        let early = try await s.reconcile()
        #expect(early.resolved.isEmpty && early.unresolved.map(\.clientOrderID) == ["c-1"],
                "absent right after it was made is not evidence yet: still unresolved")
        #expect(try s.journal.order("c-1")?.state == .pending)
        let report = try await s.reconcile(now: 1 + 60_000_000_000)
        #expect(report.resolved.map(\.state) == [.notPlaced], "absent for the whole window: not placed (not a venue rejection)")
        #expect(try s.journal.order("c-1")?.errorCode == "NOT_SENT")
        #expect(try s.journal.nonTerminalOrders().isEmpty)
        #expect(try await s.client.orders().collect().isEmpty)
        #expect(report.drift.isEmpty && report.haltReason == nil)
        await s.stop()
    }

    @Test("TS-23 killed after the request: found by client_order_id, the stale rest cancelled, fills imported, position right")
    func crashAfterSend() async throws {
        let s = try await Setup.start()
        try s.row("c-2", state: .submitted)
        // What the dead process sent: a GTC buy of 5 at 0.40; another account then sold 2 into it.
        _ = try await s.client.createOrder(OrderIntent(ticker: Self.ticker, action: .buy, side: .yes, price: price("0.40"), count: contracts("5"),
                                                       timeInForce: .goodTillCanceled, clientOrderID: "c-2"), grid: .linearCent)
        _ = await s.sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "mm-1", side: .ask,
                                                                                  count: contracts("2"), price: price("0.40"), timeInForce: .immediateOrCancel))
        let report = try await s.reconcile()
        #expect(report.resolved.map(\.state) == [.canceled])
        let row = try #require(try s.journal.order("c-2"))
        #expect(row.filled == contracts("2") && row.venueOrderID != nil)
        #expect(try s.journal.fills("c-2").map(\.price) == [price("0.40")])
        #expect(try s.journal.positions()[Self.ticker] == contracts("2"))
        #expect(report.drift.isEmpty)
        #expect(try await s.client.orders().collect().map(\.status) == [.canceled])
        await s.stop()
    }

    @Test("TS-24 an order the journal does not know is imported as external, its position counted, never cancelled")
    func externalOrder() async throws {
        let s = try await Setup.start()
        _ = await s.sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "mm-2", side: .ask,
                                                                                  count: contracts("3"), price: price("0.40"), timeInForce: .goodTillCanceled))
        // Placed by hand on the website, say: 5 wanted at 0.40, 3 filled, 2 resting.
        _ = try await s.client.createOrder(OrderIntent(ticker: Self.ticker, action: .buy, side: .yes, price: price("0.40"), count: contracts("5"),
                                                       timeInForce: .goodTillCanceled, clientOrderID: "by-hand"), grid: .linearCent)
        let report = try await s.reconcile()
        #expect(report.imported == ["by-hand"])
        let row = try #require(try s.journal.order("by-hand"))
        #expect(row.mode == "external" && row.filled == contracts("3") && row.state == .partiallyFilled)
        #expect(try s.journal.positions()[Self.ticker] == contracts("3"))
        #expect(report.drift.isEmpty && report.haltReason == nil)
        #expect(try await s.client.orders(OrderFilter(status: .resting)).collect().map(\.clientOrderID) == ["by-hand"], "not ours to cancel")
        let again = try await s.reconcile()
        #expect(again.imported.isEmpty && again.drift.isEmpty)
        await s.stop()
    }

    @Test("TS-25 journal and venue positions differ: drift reported, journaled, trading halted until acknowledged")
    func drift() async throws {
        let s = try await Setup.start()
        // The journal believes it holds 7 YES (say its last fills were lost with the machine); the venue holds none.
        try s.journal.setPosition(ticker: Self.ticker, eventTicker: "KXNFL-26JAN11", position: contracts("7"), at: 1)
        let report = try await s.reconcile(threshold: contracts("1"))
        #expect(report.drift.count == 1)
        #expect(report.haltReason?.hasPrefix("POSITION_DRIFT") == true)
        #expect(try s.journal.unacknowledgedDrift().count == 1)
        #expect(try s.journal.positions()[Self.ticker] == nil, "the venue's position is adopted")

        let service = try ExecutionService(executor: s.executor, journal: s.journal, mode: .demo, breaker: ExecutionServiceTests.settings())
        if let reason = report.haltReason { await service.halt(reason: reason) }
        guard case let .denied(denial) = await service.execute(ExecutionServiceTests.ticket("after-drift")) else { Issue.record("traded"); return }
        #expect(denial.code == .manualHalt)
        await service.resume()
        #expect(try s.journal.unacknowledgedDrift().isEmpty)
        await s.stop()
    }

    @Test("TS-08 5xx on the submit and on every lookup: the outcome stays unknown, then the running service settles it",
          arguments: [false, true])
    func unresolvedThenSettled(applied: Bool) async throws {
        let s = try await Setup.start()
        _ = await s.sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "mm-3", side: .ask,
                                                                                  count: contracts("5"), price: price("0.45"), timeInForce: .goodTillCanceled))
        let executor = KalshiExecutor(client: s.client, account: nil, clock: ContinuousClock(), settings: {
            var settings = KalshiExecutor<ContinuousClock>.Settings()
            settings.resolveBackoff = .milliseconds(1)
            return settings
        }())
        try s.sim.faults.apply(argument: "POST /portfolio/events/orders=error_rate:1,error_after_apply:\(applied)")
        try s.sim.faults.apply(argument: "GET /portfolio/orders=unavailable:1000")
        let service = try ExecutionService(executor: executor, journal: s.journal, mode: .demo, breaker: ExecutionServiceTests.settings())
        guard case let .executed(result) = await service.execute(ExecutionServiceTests.ticket("amb")) else { Issue.record("not executed"); return }
        #expect(result.order.state == .submitted && result.order.isAmbiguous, "never marked rejected on a guess")
        #expect(try s.journal.order("amb")?.state == .submitted)
        #expect(await service.unresolved == ["amb"])
        #expect(await service.settleUnresolved(with: executor, absentWindow: .seconds(60)).isEmpty, "the venue still cannot answer")
        s.sim.faults.clear()
        if !applied {
            #expect(await service.settleUnresolved(with: executor, absentWindow: .seconds(60)).isEmpty,
                    "absent, but not yet for the whole window: still unresolved, never guessed")
            #expect(try s.journal.order("amb")?.state == .submitted)
        }
        let settled = await service.settleUnresolved(with: executor, absentWindow: .zero)
        #expect(settled.map(\.state) == [applied ? .filled : .notPlaced])
        #expect(await service.unresolved.isEmpty)
        if applied {
            #expect(try s.journal.positions()[Self.ticker] == contracts("5"))
        } else {
            #expect(try s.journal.order("amb")?.errorCode == "NOT_FOUND_ON_VENUE")
        }
        await s.stop()
    }
}

/// Start-up reconciliation's venue questions, against a ledger that holds every question until released.
@Suite("Reconciliation asks the venue about orders together")
struct ReconciliationConcurrencyTests {
    struct LookupFailed: Error {}

    actor HeldLedger: VenueLedger {
        private(set) var inFlight = 0
        private(set) var most = 0
        private(set) var cancelled: [String] = []
        private var released = false
        private var held: [CheckedContinuation<Void, Never>] = []

        func release() {
            released = true
            for waiter in held { waiter.resume() }
            held.removeAll()
        }

        func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord? {
            inFlight += 1
            most = max(most, inFlight)
            if !released { await withCheckedContinuation { held.append($0) } }
            inFlight -= 1
            if order.clientOrderID == "r-5" { throw LookupFailed() }
            let resting = order.clientOrderID == "r-7" && !cancelled.contains("r-7")
            return VenueOrderRecord(venueOrderID: "v-" + order.clientOrderID, status: resting ? .resting : .canceled, filled: .zero, fills: [])
        }

        func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws { cancelled.append(order.clientOrderID) }
        func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder] { [] }
        func venuePositions() async throws -> [String: Contracts]? { nil }
        nonisolated var positionPlatforms: Set<Platform> { [] }
    }

    @Test("20 orders left open: eight questions to the venue at once, never more; the answers applied in the journal's order; one whose question failed stays unresolved; one still resting is cancelled")
    func asksTogether() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        for index in 0..<20 {
            try journal.insert(JournalOrder(clientOrderID: "r-\(index)", signalID: nil, ticker: ReconciliationTests.ticker, action: .buy, side: .yes,
                                            limitPrice: price("0.40"), requested: contracts("1"), mode: "demo", createdNanoseconds: Int64(index + 1)))
            try journal.update("r-\(index)", state: .resting, at: Int64(index + 2), event: "submitted")
        }
        let order = try journal.nonTerminalOrders().map(\.clientOrderID)
        let ledger = HeldLedger()
        let reconciling = Task { try await Reconciler(journal: journal, ledger: ledger).run(nowNanoseconds: 100) }
        // (A generous limit: the suite beside busy-loops on two cores has kept the concurrency pool from these
        // tasks for over 10 s. Sequential asks never get past one.)
        #expect(await eventually(timeout: .seconds(60)) { await ledger.inFlight == 8 })
        await ledger.release()
        let report = try await reconciling.value
        #expect(await ledger.most == 8)
        #expect(report.resolved.map(\.clientOrderID) == order.filter { $0 != "r-5" })
        #expect(report.resolved.allSatisfy { $0.state == .canceled })
        #expect(report.unresolved.map(\.clientOrderID) == ["r-5"])
        #expect(await ledger.cancelled == ["r-7"])
        #expect(try journal.nonTerminalOrders().map(\.clientOrderID) == ["r-5"])
    }
}
