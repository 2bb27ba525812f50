import Arbitrage
import Config
@testable import Coordinator
import Execution
import ExecutorTesting
import Foundation
import Markets
import Testing

@Suite("Arbs interrupted by a restart")
struct ArbRecoveryTests {
    static let line = #"{"type":"arb","arb_id":"x1","pair_id":"p","legs":[{"platform":"kalshi","action":"buy","side":"yes","price":"0.40","contracts":"10","kalshi_ticker":"K"},{"platform":"polymarket","action":"buy","side":"no","price":"0.55","contracts":"10","poly_token":"1"}]}"#

    @Test("a crash after the legs went out: the next start rebuilds the arb from its orders and counts the unclosed excess as exposure")
    func interrupted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let books = FixedBooks()
        books.offer("K", yesAsk: price("0.40"), noAsk: price("0.62"), size: contracts("10"))
        var paperSettings = PaperExecutor<ContinuousClock>.Settings()
        paperSettings.latency = .zero ... .zero
        let paper = PaperExecutor(books: books, clock: ContinuousClock(), settings: paperSettings)
        let journal = try Journal(path: dir.path + "/journal.sqlite")
        let service = try ExecutionService(executor: VenueRouter([.kalshi: paper as VenueRouter.Adapter, .polymarket: paper as VenueRouter.Adapter]),
                                           journal: journal, mode: .paper, breaker: BreakerSettings())
        // The run before: the arb accepted, its legs sent (Kalshi filled 10, Polymarket found no book), then killed.
        _ = try journal.acceptSignals([Journal.AcceptedSignal(id: "arb:x1", receivedNanoseconds: ExecutionService.systemWallClock(), payload: Self.line,
                                                              shouldTrade: true)])
        let legs = [
            ExecutionRequest(clientOrderID: "run1-x1-a", signalID: "arb:x1", platform: .kalshi, ticker: "K", fees: .kalshi(seriesTicker: "KXNFL"),
                             action: .buy, side: .yes, limit: price("0.40"), count: contracts("10"), timeInForce: .immediateOrCancel, grid: .linearCent),
            ExecutionRequest(clientOrderID: "run1-x1-b", signalID: "arb:x1", platform: .polymarket, ticker: "1", fees: .polymarket(feeRateBps: 0),
                             action: .buy, side: .no, limit: price("0.55"), count: contracts("10"), timeInForce: .immediateOrCancel, grid: .linearCent),
        ]
        _ = await service.executeGroup(legs.map { OrderTicket(request: $0, eventTicker: "E", expectedPrice: $0.limit) })
        #expect(try journal.arbs().isEmpty, "the outcome was never recorded")

        let report = try V3Config.load(ConfigEnvironment(values: [:], origins: [:]))
        let session = TradingSession(config: report.config, plan: RunPlan(report: report), origin: .file("-"), log: { _ in })
        let venues = FixedArbVenues()
        let engine = ArbEngine(legs: ServiceLegExecutor(service: service, venues: venues, runID: "run2"), venues: venues, journal: journal)
        try await session.restorePendingSignals(journal, into: SignalInbox(store: journal), arbs: engine, service: service)

        let record = try #require(try journal.arbs().first)
        #expect(record.arbID == "x1" && record.outcome == .exposureLeft, "\(record.outcome) \(record.reason)")
        #expect(record.legs.map(\.filled) == ["10.00", "0.00"])
        #expect(record.exposure == Dollars(micros: 4_000_000))
        let status = await service.status()
        #expect(status.realizedToday.hasPrefix("-4"), "the breaker counts the open excess as a loss: \(status.realizedToday)")
        #expect(try journal.signalStatusCounts()["executed_before_restart"] == 1)
    }

    @Test("both legs filled alike before the crash: recorded filled with its locked-in P&L")
    func interruptedHedged() {
        let arb = try! ArbSignal(jsonLine: Self.line)
        func leg(_ id: String, _ platform: Platform, _ price: String) -> ArbRecovery.Leg {
            var order = JournalOrder(clientOrderID: "run1-\(id)", signalID: "arb:x1", platform: platform, ticker: "T", action: .buy, side: .yes,
                                     limitPrice: ExecutorTesting.price(price), requested: contracts("10"), mode: "paper", createdNanoseconds: 0)
            order.filled = contracts("10")
            return ArbRecovery.Leg(order: order, fills: [JournalFill(fillID: id, clientOrderID: order.clientOrderID, ticker: "T", count: contracts("10"),
                                                                      price: ExecutorTesting.price(price), fee: .zero, role: .taker, nanoseconds: 0)])
        }
        let record = ArbRecovery.rebuild(arb, orders: [leg("x1-a", .kalshi, "0.40"), leg("x1-b", .polymarket, "0.55")], nowNanoseconds: 1)
        #expect(record.outcome == .filled && record.exposure == .zero)
        #expect(record.realizedPnl == Dollars(micros: 500_000))
    }
}

@Suite("Arb intake")
struct ArbIntakeTests {
    @Test("an arb the engine has no room for is refused out loud and marked refused in the journal")
    func engineFull() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/journal.sqlite")
        let inbox = SignalInbox(store: journal)
        await inbox.onArb { _ in false }
        let intake = await inbox.submit([.text(number: 7, ArbRecoveryTests.line)])
        #expect(intake.accepted == 0 && intake.inboxFull)
        #expect(intake.refused.first?.description.contains("signal line 7: arb \"x1\" refused: the arbitrage engine is full") == true,
                "\(intake.refused)")
        #expect(try journal.signalStatusCounts() == ["refused": 1])
    }
}
