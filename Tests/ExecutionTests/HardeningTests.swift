import DataClient
import ExchangeSim
import ExecutorTesting
import Foundation
import GRDB
import KalshiWire
import Markets
import Synchronization
import Testing
import TradingClient
@testable import Execution

/// Log lines a test collects.
final class CollectedLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Execution hardening: no silent failure, one fill path, events kept")
struct HardeningTests {
    static let ticker = ExecutionServiceTests.ticker

    @Test("TS-55 a journal write that fails halts trading at once: in memory, logged, shown by status; resume waits for the journal")
    func persistenceFailureHalts() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        let log = CollectedLog()
        let service = try ExecutionService(executor: ScriptedExecutor(journal: journal) { ExecutionServiceTests.filled($0, fills: []) },
                                           journal: journal, mode: .paper, breaker: ExecutionServiceTests.settings(maxPosition: 1),
                                           log: { log.append($0) })
        // The journal stops taking writes of one kind (a damaged table, a full disk).
        try await journal.database.write { try $0.execute(sql: "DROP TABLE denials") }
        guard case let .denied(denial) = await service.execute(ExecutionServiceTests.ticket("too-big", count: "5")) else {
            Issue.record("not denied")
            return
        }
        #expect(denial.code == .positionSizeExceedsLimit)
        let status = await service.status()
        #expect(status.persistenceFailure?.hasPrefix("JOURNAL_WRITE_FAILED: the denial POSITION_SIZE_EXCEEDS_LIMIT could not be journaled") == true)
        #expect(status.breaker == "halted")
        #expect(log.all.contains { $0.hasPrefix("ERROR JOURNAL_WRITE_FAILED") })
        guard case let .denied(next) = await service.execute(ExecutionServiceTests.ticket("small", count: "1")) else {
            Issue.record("traded while the journal fails")
            return
        }
        #expect(next.code == .manualHalt)
        // The halt itself reached the journal (the breaker table still works): a restart stays halted.
        #expect(try journal.loadBreaker()?.haltReason?.hasPrefix("JOURNAL_WRITE_FAILED") == true)
        try await journal.database.write { try $0.execute(sql: "DROP TABLE position_drift") }
        #expect(await service.resume() == false, "resume needs the journal to take the acknowledgement")
        #expect(await service.haltReason != nil)
    }

    @Test("TS-56 a resting paper GTC order's fills reach the journal and the breaker through its execution, like a venue order's")
    func paperRestingFillsAreJournaled() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let books = FixedBooks()
        books.offer(Self.ticker, yesAsk: price("0.60"), noAsk: price("0.45"), size: contracts("100"))
        var settings = PaperExecutor<ContinuousClock>.Settings()
        settings.latency = .zero ... .zero
        // Long bounds: the suite's 100,000-line fuzz may hold both of the pool's threads for a while (the order
        // must not rest after its trades went by, nor time out before they come).
        settings.orderTimeout = .seconds(600)
        let paper = PaperExecutor(books: books, clock: ContinuousClock(), settings: settings)
        let journal = try Journal(path: dir.path + "/j.sqlite")
        let service = try ExecutionService(executor: paper, journal: journal, mode: .paper, breaker: ExecutionServiceTests.settings(maxPosition: 10))
        let running = Task { await service.execute(ExecutionServiceTests.ticket("gtc", count: "10", limit: "0.50", tif: .goodTillCanceled)) }
        #expect(await eventually(timeout: .seconds(120)) { await paper.openOrders().count == 1 })
        await paper.onTrade(ticker: Self.ticker, yesPrice: price("0.50"), count: contracts("4"))
        await paper.onTrade(ticker: Self.ticker, yesPrice: price("0.49"), count: contracts("6"))
        guard case let .executed(result) = await running.value else { Issue.record("not executed"); return }
        #expect(result.order.state == .filled)
        #expect(try journal.fills("gtc").count == 2)
        #expect(try journal.order("gtc")?.state == .filled)
        #expect(try journal.positions()[Self.ticker] == contracts("10"))
        // The breaker counted the position: one more contract would exceed MAX_POSITION_SIZE.
        guard case let .denied(denial) = await service.execute(ExecutionServiceTests.ticket("more", count: "1", limit: "0.50")) else {
            Issue.record("allowed past the position limit")
            return
        }
        #expect(denial.code == .marketPositionExceedsLimit)
    }

    @Test("TS-57 positions taken over at reconciliation carry their market's event, so MAX_POSITION_PER_EVENT counts them after a restart")
    func reconciledPositionsKeepTheirEvent() async throws {
        let s = try await ReconciliationTests.Setup.start()
        _ = await s.sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "mm-ev", side: .ask,
                                                                                  count: contracts("5"), price: price("0.40"), timeInForce: .goodTillCanceled))
        _ = try await s.client.createOrder(OrderIntent(ticker: Self.ticker, action: .buy, side: .yes, price: price("0.40"), count: contracts("5"),
                                                       timeInForce: .immediateOrCancel, clientOrderID: "by-hand"), grid: .linearCent)
        let catalog = KalshiDataClient(transport: s.sim.transport())
        let reconciler = Reconciler(journal: s.journal, ledger: s.executor, eventOf: { try? await catalog.market($0).eventTicker })
        let report = try await reconciler.run(nowNanoseconds: 3)
        #expect(report.imported == ["by-hand"])
        #expect(try s.journal.positionsWithEvents().map(\.eventTicker) == ["KXNFL-26JAN11"])
        // Adopting a venue position the journal never had: its event comes from the listing too.
        try s.journal.adoptPositions([Self.ticker: contracts("5"), "KXNFL-26JAN11-KC": contracts("2")], at: 4,
                                     eventOf: ["KXNFL-26JAN11-KC": "KXNFL-26JAN11"])
        #expect(try s.journal.positionsWithEvents().map(\.eventTicker) == ["KXNFL-26JAN11", "KXNFL-26JAN11"])

        var limits = ExecutionServiceTests.settings()
        limits.limits.maxPositionPerEvent = contracts("7")
        let service = try ExecutionService(executor: s.executor, journal: s.journal, mode: .demo, breaker: limits)
        var ticket = ExecutionServiceTests.ticket("same-event", count: "1")
        ticket.request.ticker = "KXNFL-26JAN11-PHI"
        guard case let .denied(denial) = await service.execute(ticket) else { Issue.record("the event's positions were not counted"); return }
        #expect(denial.description == "EVENT_POSITION_EXCEEDS_LIMIT: event=KXNFL-26JAN11 position=8.00 limit=7.00")
        try? await catalog.shutdown()
        await s.stop()
    }

    @Test("the breaker's day: realised results rebuild the daily loss and the losing streak; a resume resets the streak, not the loss")
    func breakerRebuiltFromResults() {
        let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
        let results = [-2, 1, -3, -4].enumerated().map { index, dollars in
            RealizedResult(nanoseconds: (t0 + Int64(index) * 1_000) * 1_000_000, ticker: "KX", pnl: Dollars(micros: Int64(dollars) * 1_000_000))
        }
        var limits = RiskLimits()
        limits.maxDailyLoss = Dollars(micros: 8_000_000)
        limits.maxConsecutiveLosses = 2
        var breaker = CircuitBreaker(settings: BreakerSettings(limits: limits), results: results, nowMs: t0 + 10_000)
        #expect(breaker.realizedToday == Dollars(micros: -8_000_000) && breaker.consecutiveLosses == 2)
        let order = BreakerOrder(ticker: "KX", eventTicker: "E", positionChange: Contracts(hundredths: 100), risk: Dollars(micros: 1_000_000))
        guard case let .failure(denial) = breaker.check(order, nowMs: t0 + 10_000) else { Issue.record("allowed"); return }
        #expect(denial.code == .dailyLossLimitReached)
        breaker.resume(nowMs: t0 + 20_000)
        let restored = CircuitBreaker(settings: BreakerSettings(limits: limits), restoring: breaker.snapshot, results: results, nowMs: t0 + 30_000)
        #expect(restored.consecutiveLosses == 0, "results before the resume do not count towards the streak")
        #expect(restored.realizedToday == Dollars(micros: -8_000_000), "the day's loss stays")
        let tomorrow = CircuitBreaker(settings: BreakerSettings(limits: limits), results: results, nowMs: t0 + 86_400_000)
        #expect(tomorrow.realizedToday == .zero && tomorrow.consecutiveLosses == 0, "a new UTC day starts clean")
    }
}
