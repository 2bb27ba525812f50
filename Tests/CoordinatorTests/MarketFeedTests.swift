import DataClient
import ExchangeSim
import Execution
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
@testable import Coordinator

@Suite("Market feed service")
struct MarketFeedTests {
    static let ticker = "KXNFL-26JAN11-BUF"

    @Test("a market-data disconnect puts the run in its error state, counted, until the feed is back; settled markets take no orders")
    func errorStateAndLifecycle() async throws {
        let sim = try await SimFixture.start()
        let market = LiveMarketData(socket: sim.webSocket())
        await market.start()
        try await market.watchBooks([Self.ticker])
        try await market.watch(.marketLifecycle)
        let catalog = MarketCatalog(client: KalshiDataClient(transport: sim.transport()))
        #expect(try await catalog.refreshOpenMarkets() > 0)
        let board = RunBoard()
        await board.set("ready")
        let metrics = ExecutionMetrics()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let service = try ExecutionService(executor: PaperExecutor(books: market, clock: ContinuousClock()), journal: Journal(path: dir.path + "/j.sqlite"),
                                           mode: .paper, breaker: BreakerSettings())
        let feed = Task {
            try await MarketFeedService(market: market, catalog: catalog, paper: nil, service: service, board: board, metrics: metrics, log: { _ in }).run()
        }

        sim.server.webSocketFaults.inject(.dropConnection)
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "poke", side: .bid,
                                                                                 count: contracts("1"), price: price("0.10"), timeInForce: .goodTillCanceled))
        #expect(await eventually { metrics.counters["market_data_disconnects"] == 1 })
        #expect(await eventually { await board.state == "ready" }, "back to ready once reconnected")

        await sim.exchange.lifecycle(Self.ticker, event: "determined", result: "yes")
        #expect(await eventually { await catalog.info(Self.ticker)?.isOpen == false })
        await sim.exchange.updatePriceGrid("KXNFL-26JAN11-PHI", grid: .deciCent, structure: "deci_cent")
        #expect(await eventually { await catalog.info("KXNFL-26JAN11-PHI")?.grid == .deciCent }, "grid changes apply at once")
        feed.cancel()
        await market.stop()
        await sim.stop()
    }
}
