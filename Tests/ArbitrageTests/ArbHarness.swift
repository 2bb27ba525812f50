import Arbitrage
import Config
@testable import Coordinator
import ExchangeSim
import Execution
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import PolymarketWire
import Synchronization
import Testing

/// Log lines of a harness.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// A wall clock tests move forward (blacklist expiry) while it otherwise follows real time.
final class TestWallClock: Sendable {
    private let offset = Mutex<Int64>(0)
    func advance(_ duration: Duration) { offset.withLock { $0 += duration.components.seconds * 1_000_000_000 } }
    var now: Int64 { ExecutionService.systemWallClock() + offset.withLock { $0 } }
}

/// Sleeps the engine asks for, recorded (the ladder's timing is checked without waiting for it).
final class SleepRecorder: Sendable {
    private let requested = Mutex<[Duration]>([])
    var all: [Duration] { requested.withLock { $0 } }
    func sleep(_ duration: Duration) async {
        requested.withLock { $0.append(duration) }
        try? await Task.sleep(for: .milliseconds(1))
    }
}

/// Serves the books captured at `freeze()` instead of the live ones: what a detector saw a moment before
/// the venue changed (the latency that leaves one leg short).
final class FreezableVenues: ArbVenues {
    let inner: any ArbVenues
    private let frozen = Mutex<[String: ServedBook]?>(nil)

    init(_ inner: any ArbVenues) { self.inner = inner }

    var platforms: Set<Platform> { inner.platforms }
    func market(_ platform: Platform, _ instrument: String) async -> ListedMarket? { await inner.market(platform, instrument) }
    func available(_ platform: Platform) async -> Dollars? { await inner.available(platform) }
    func book(_ platform: Platform, _ ticker: String) async -> ServedBook {
        if let book = frozen.withLock({ $0?["\(platform.rawValue)/\(ticker)"] }) { return book }
        return await inner.book(platform, ticker)
    }

    func freeze(_ books: [(Platform, String)]) async {
        var captured: [String: ServedBook] = [:]
        for (platform, ticker) in books { captured["\(platform.rawValue)/\(ticker)"] = await inner.book(platform, ticker) }
        frozen.withLock { $0 = captured }
    }
}

/// Both simulators over loopback, a demo run's venues wired to them (the Kalshi executor on the Kalshi
/// simulator's account, the Polymarket executor on the Polymarket simulator's), the execution service on
/// a fresh journal, and the engine over them.
struct ArbHarness {
    static let kalshiTicker = "KXNFL-26JAN11-BUF"
    static let polySlug = "nfl-buf-2026-01-11"

    let kalshi: SimFixture
    let poly: PolySimFixture
    let venues: Venues
    let service: ExecutionService
    let engine: ArbEngine
    let arbVenues: FreezableVenues
    let sleeps: SleepRecorder
    let clock: TestWallClock
    let dir: TemporaryDirectory
    let yesToken: String
    let noToken: String
    let logs: LogLines

    static func start(polymarket: Bool = true, configure: (inout ArbSettings) -> Void = { _ in }) async throws -> ArbHarness {
        let kalshi = try await SimFixture.start()
        let poly = try await PolySimFixture.start()
        let dir = try TemporaryDirectory()
        var config = V3Config()
        config.paperTrading = false
        let venue = KalshiVenueConfig(apiURL: kalshi.server.baseURL, webSocketURL: kalshi.server.webSocketURL, credentials: kalshi.credentials)
        config.trading = venue
        config.data = venue
        config.risk = RiskLimits(maxOrdersPerMinute: 1_000, minTimeBetweenOrders: .zero)
        config.orderTimeout = .seconds(5)
        if polymarket {
            var polyConfig = PolymarketConfig()
            polyConfig.clobURL = poly.server.baseURL
            polyConfig.webSocketURL = poly.server.webSocketURL
            polyConfig.gammaURL = poly.server.gammaURL
            polyConfig.signer = poly.signer
            config.polymarket = polyConfig
        }
        let logs = LogLines()
        let log: @Sendable (String) -> Void = { logs.append($0) }
        let venues = try await Venues.connect(config, mode: .demo, log: log)
        let service = try await venues.prepareExecution(journalPath: dir.path + "/journal.sqlite", mode: .demo, config: config, log: log)
        let market = venues.market
        let watcher = BookWatcher(log: log) { try await market.watchBooks($0) }
        let arbVenues = FreezableVenues(ArbVenuesOfRun(venues: venues, watcher: watcher, firstBookWait: .seconds(2)))
        var settings = ArbSettings()
        settings.maxAge = .seconds(30)
        configure(&settings)
        let sleeps = SleepRecorder()
        let clock = TestWallClock()
        let engine = ArbEngine(legs: ServiceLegExecutor(service: service, venues: arbVenues, runID: "t\(UInt32.random(in: 0...UInt32.max))"),
                               venues: arbVenues, journal: service.journal, settings: settings, wallNanoseconds: { clock.now },
                               sleep: { await sleeps.sleep($0) }, log: log)
        let spec = try #require(await poly.market(polySlug))
        return ArbHarness(kalshi: kalshi, poly: poly, venues: venues, service: service, engine: engine, arbVenues: arbVenues, sleeps: sleeps,
                          clock: clock, dir: dir, yesToken: spec.yesToken, noToken: spec.noToken, logs: logs)
    }

    func stop() async {
        await venues.shutdown()
        await kalshi.stop()
        await poly.stop()
        dir.remove()
    }

    // MARK: Liquidity

    /// A maker resting on the Kalshi simulator: `.ask` offers YES at `yesPrice`, `.bid` bids for it.
    func kalshiQuote(_ side: BookSide, _ yesPrice: String, _ count: String, id: String = UUID().uuidString) async {
        _ = await kalshi.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.kalshiTicker, clientOrderID: "mm-\(id)", side: side,
                                                                                    count: contracts(count), price: price(yesPrice), timeInForce: .goodTillCanceled))
    }

    /// A maker offering Polymarket NO at `noPrice` (the same as bidding YES at 1 − price).
    func polyOfferNo(_ noPrice: String, _ count: String) async {
        _ = await poly.exchange.quote(noToken, .sell, price: price(noPrice), count: contracts(count), owner: "mm")
    }

    /// Kalshi YES offered at 0.40 and Polymarket NO at 0.55 (`size` each, and Kalshi bids at `kalshiBid` when
    /// given); returns once both local books show them.
    func offerBoth(_ size: String = "10", kalshiBid: (price: String, size: String)? = nil) async throws {
        await kalshiQuote(.ask, "0.40", size)
        if let kalshiBid { await kalshiQuote(.bid, kalshiBid.price, kalshiBid.size) }
        await polyOfferNo("0.55", size)
        try await waitForBooks()
        await waitForAsks(kalshiYes: "0.40", polyNo: "0.55")
    }

    /// Waits until both books the arb reads are fresh.
    func waitForBooks() async throws {
        let venues = arbVenues
        let yes = yesToken
        #expect(await eventually { await venues.book(.kalshi, Self.kalshiTicker).freshBook != nil })
        #expect(await eventually { await venues.book(.polymarket, yes).freshBook != nil })
    }

    /// Waits until the local books show these asks (the simulators' channels have delivered them).
    func waitForAsks(kalshiYes: String, polyNo: String) async {
        let venues = arbVenues
        let yes = yesToken
        _ = await eventually { await venues.book(.kalshi, Self.kalshiTicker).freshBook?.bestAsk(.yes)?.price == price(kalshiYes) }
        _ = await eventually { await venues.book(.polymarket, yes).freshBook?.bestAsk(.no)?.price == price(polyNo) }
    }

    /// Buy Kalshi YES at `kalshiYes` and Polymarket NO (named by the YES token) at `polyNo`.
    func arb(_ id: String, pair: String = "nfl-buf", kalshiYes: String = "0.40", polyNo: String = "0.55", contracts count: Int = 10) -> ArbSignal {
        let line = #"{"type":"arb","arb_id":"\#(id)","pair_id":"\#(pair)","description":"Bills ML","legs":[{"platform":"kalshi","action":"buy","side":"yes","price":"\#(kalshiYes)","contracts":"\#(count)","kalshi_ticker":"\#(Self.kalshiTicker)"},{"platform":"polymarket","action":"buy","side":"no","price":"\#(polyNo)","contracts":\#(count),"poly_token":"\#(yesToken)"}]}"#
        var arb = try! ArbSignal(jsonLine: line)
        arb.receivedNanoseconds = clock.now
        return arb
    }

    /// Runs one arb to its end; its journal record.
    func run(_ arb: ArbSignal) async throws -> JournalArb {
        await engine.submit(arb)
        await engine.drain()
        return try #require(try service.journal.arbs().first { $0.arbID == arb.arbID })
    }

    var kalshiAccount: String { kalshi.credentials.keyID.rawValue }

    func kalshiPosition() async -> Contracts { await kalshi.exchange.accountSnapshot(kalshiAccount).positions[Self.kalshiTicker] ?? .zero }

    /// NO shares the trader holds on the Polymarket simulator.
    func polyNoShares() async -> Int64 { await poly.exchange.balance(poly.signer.address, token: noToken) }

    func kalshiOrders() async throws -> [KalshiOrder] {
        try await kalshi.exchange.orders(account: kalshiAccount, ticker: nil, status: nil, cursor: nil, limit: 1_000).get().orders
    }
}
