import Arbitrage
import DataClient
import Execution
import Foundation
import Markets
import TraderLink

/// A venue's cash, read at most once per `maxAge` (a balance read is a round trip; arbs need it often).
actor BalanceCache {
    private let read: @Sendable () async -> Dollars?
    private let maxAge: Duration
    private var last: (value: Dollars, at: ContinuousClock.Instant)?

    init(maxAge: Duration = .seconds(2), read: @escaping @Sendable () async -> Dollars?) {
        self.read = read
        self.maxAge = maxAge
    }

    func value() async -> Dollars? {
        if let last, last.at.duration(to: .now) < maxAge { return last.value }
        guard let value = await read() else { return last?.value }
        last = (value, .now)
        return value
    }
}

/// What the arbitrage engine reads from a run's venues: each market on its trading venue's listing,
/// each book from its venue's market data (subscribed on first use), each venue's cash.
public struct ArbVenuesOfRun: ArbVenues {
    let router: VenueRouter
    let catalog: MarketCatalog
    let kalshiBooks: LiveMarketData
    let kalshiWatcher: BookWatcher
    let polymarket: PolymarketConnection?
    let balances: [Platform: BalanceCache]
    /// How long a first use waits for a book to arrive.
    let firstBookWait: Duration

    public init(venues: Venues, watcher: BookWatcher, firstBookWait: Duration = .seconds(2)) {
        router = venues.executor
        catalog = venues.tradingCatalog
        kalshiBooks = venues.market
        kalshiWatcher = watcher
        polymarket = venues.polymarket
        self.firstBookWait = firstBookWait
        var balances: [Platform: BalanceCache] = [:]
        if let paper = venues.paper {
            balances[.kalshi] = BalanceCache(maxAge: .zero) { await paper.cash }
        } else if let client = venues.tradingClient {
            balances[.kalshi] = BalanceCache { try? await client.balance().balanceDollars }
        }
        if let polymarket = venues.polymarket {
            if let paper = polymarket.paper {
                balances[.polymarket] = BalanceCache(maxAge: .zero) { await paper.cash }
            } else {
                let client = polymarket.client, signatureType = polymarket.signatureType
                balances[.polymarket] = BalanceCache { (try? await client.collateralBalance(signatureType: signatureType)).map(Dollars.init(micros:)) }
            }
        }
        self.balances = balances
    }

    /// The platforms with an adapter whose route exists now: on a controller, a connected trader or local
    /// execution authorised by `CONTROLLER_PLATFORMS`.
    public var platforms: Set<Platform> {
        router.platforms.filter { platform in
            guard let routed = router.adapter(for: platform) as? RoutedVenue else { return true }
            return routed.route != nil
        }
    }

    public func noPath(_ platform: Platform) -> String {
        (router.adapter(for: platform) as? RoutedVenue)?.noPathReason ?? "this run has no \(platform.rawValue) venue"
    }

    public func market(_ platform: Platform, _ instrument: String) async -> ListedMarket? {
        await ListedMarket.lookup(platform, instrument, catalog: catalog, polymarket: polymarket)
    }

    public func book(_ platform: Platform, _ ticker: String) async -> ServedBook {
        let served: ServedBook
        switch platform {
        case .kalshi:
            served = await kalshiBooks.book(ticker)
            guard served == .unknown else { return served }
            _ = await kalshiWatcher.ensure(ticker)
        case .polymarket:
            guard let polymarket else { return .unknown }
            served = await polymarket.market.book(ticker)
            guard served == .unknown else { return served }
            await polymarket.market.subscribe([ticker])
        }
        // First use of this market: its book is on its way.
        let deadline = ContinuousClock.now + firstBookWait
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
            let again = platform == .kalshi ? await kalshiBooks.book(ticker) : (await polymarket?.market.book(ticker) ?? .unknown)
            if again.freshBook != nil { return again }
        }
        return served
    }

    /// A leg going to a trader is covered by the cash that trader last reported; a local one by this
    /// process's venue account.
    public func available(_ platform: Platform) async -> Dollars? {
        if let routed = router.adapter(for: platform) as? RoutedVenue, case .remote? = routed.route { return await routed.traderAvailable() }
        return await balances[platform]?.value()
    }
}
