import Markets
import Synchronization
import Testing
@testable import Coordinator

/// A listing asked about several markets at once that fails every request naming one of `failing`, and
/// counts its requests.
private final class BatchListing: MarketListing {
    let listed: FixedListing
    let failing: Set<String>
    let requests = Mutex<[Int]>([])

    init(listed: FixedListing, failing: Set<String>) {
        self.listed = listed
        self.failing = failing
    }

    struct Refused: Error {}

    func openMarkets() async throws -> [MarketInfo] { try await listed.openMarkets() }
    func market(_ ticker: String) async throws -> MarketInfo? { try await listed.market(ticker) }
    func markets(_ tickers: [String]) async throws -> [MarketInfo] {
        requests.withLock { $0.append(tickers.count) }
        if tickers.contains(where: failing.contains) { throw Refused() }
        return tickers.compactMap { listed.markets[$0] }
    }
}

@Suite("Market catalog")
struct MarketCatalogTests {
    @Test("current(_:) asks about 100 markets a request; a request that fails costs only its own markets (their cached copies answer)")
    func currentTogether() async {
        let tickers = (0..<150).map { "KXT-26JAN11-M\($0)" }
        let listing = BatchListing(listed: FixedListing(tickers), failing: ["KXT-26JAN11-M120"])
        let catalog = MarketCatalog(listing: listing)
        let cached = await catalog.info("KXT-26JAN11-M130")
        let answer = await catalog.current(tickers + ["KXT-26JAN11-UNLISTED"])
        #expect(listing.requests.withLock { $0 } == [100, 51])
        #expect(answer.count == 101, "the first hundred, and the one cached copy of the failed request's markets")
        #expect(answer["KXT-26JAN11-M130"] == cached)
        #expect(answer["KXT-26JAN11-M99"]?.ticker == "KXT-26JAN11-M99" && answer["KXT-26JAN11-M120"] == nil)
    }
}
