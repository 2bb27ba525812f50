import Markets
import Testing
@testable import ExchangeSim

@Suite("Synthetic market activity")
struct SyntheticActivityTests {
    static func run(seed: UInt64, steps: Int) async -> [OrderBook] {
        var configuration = SimExchange.Configuration()
        configuration.now = { 1_767_000_000_000 }
        let exchange = SimExchange(configuration: configuration)
        let activity = SyntheticActivity(exchange: exchange, seed: seed)
        await activity.seedBooks()
        for _ in 0..<steps { await activity.step() }
        var books: [OrderBook] = []
        for spec in SimCatalog.standard() { books.append(await exchange.orderBook(spec.ticker) ?? OrderBook(ticker: spec.ticker)) }
        return books
    }

    @Test("the same seed gives the same books; another seed does not")
    func deterministic() async {
        let first = await Self.run(seed: 7, steps: 500)
        let second = await Self.run(seed: 7, steps: 500)
        let other = await Self.run(seed: 8, steps: 500)
        #expect(first == second)
        #expect(first != other)
    }

    @Test("books stay two-sided, uncrossed and on their grids, and trades happen")
    func realistic() async throws {
        var configuration = SimExchange.Configuration()
        configuration.now = { 1_767_000_000_000 }
        let exchange = SimExchange(configuration: configuration)
        let activity = SyntheticActivity(exchange: exchange, seed: 42)
        await activity.seedBooks()
        for _ in 0..<1_000 { await activity.step() }
        for spec in SimCatalog.standard() {
            let book = try #require(await exchange.orderBook(spec.ticker))
            if let bid = book.bestBid(.yes), let ask = book.bestAsk(.yes) {
                #expect(bid.price < ask.price, "\(spec.ticker) crossed")
            }
            for level in book.yesBids { #expect(spec.grid.contains(level.price)) }
            for level in book.noBids { #expect(spec.grid.contains(level.price.complement)) }
        }
        let trades = await exchange.trades(ticker: nil, cursor: nil, limit: 1_000)
        #expect(((try? trades.get())?.trades.count ?? 0) > 50)
    }
}
