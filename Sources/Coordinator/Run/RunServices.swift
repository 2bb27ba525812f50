import Arbitrage
import DataClient
import KalshiWire
import Execution
import Foundation
import Markets
import PolymarketClient
import PolymarketWire
import ServiceLifecycle
import Synchronization

/// The services of a run, each a `Service` of one `ServiceGroup`: the group starts them together and,
/// on SIGINT/SIGTERM or `--duration`, shuts them down gracefully in reverse order.

/// The execution loop: on graceful shutdown it stops taking signals and returns once the order in flight
/// has finished.
struct ExecutionLoopService: Service {
    let loop: ExecutionLoop

    func run() async throws {
        await withGracefulShutdownHandler {
            await loop.run()
        } onGracefulShutdown: {
            Task { await loop.stop() }
        }
    }
}

/// Polymarket's market channel: a token's last trade fills resting paper orders on its market (read on
/// the YES token's scale); tick changes reach the directory.
struct PolymarketFeedService: Service {
    let polymarket: PolymarketConnection
    let log: @Sendable (String) -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await update in polymarket.market.updates {
                switch update {
                case let .lastTrade(trade):
                    guard let paper = polymarket.paper, let info = await polymarket.directory.cached(trade.assetID),
                          let side = info.outcome(of: trade.assetID), let micros = PolyDecimal.micros(trade.price), let price = Price(micros: micros),
                          let size = PolyDecimal.micros(trade.size), size >= 10_000 else { continue }
                    await paper.onTrade(ticker: info.yesToken, yesPrice: price.of(side), count: Contracts(hundredths: size / 10_000))
                case let .tickSize(token, tick):
                    await polymarket.directory.updateTick(token: token, to: tick)
                    log("polymarket token \(token.prefix(12))…: tick now \(tick)")
                case .connected(false):
                    log("polymarket market channel disconnected; its books are stale until resynchronised")
                default:
                    continue
                }
            }
        }
    }
}

/// Positions in markets that have a result, realised: Kalshi's markets read on `catalog` (the trading
/// venue), Polymarket's on Gamma (closed, outcome prices 1 and 0). Start-up and the result check ask the
/// same way.
struct MarketResults: Sendable {
    let service: ExecutionService
    let catalog: MarketCatalog
    let polymarket: PolymarketConnection?

    /// Realises what has a result among `tickers` (Kalshi) and `tokens` (Polymarket), each settlement's
    /// reason saying `how` it was learnt; returns the platforms where something was realised.
    @discardableResult
    func settle(kalshi tickers: [String], polymarket tokens: [String], how: String) async -> Set<Platform> {
        var settled = Set<Platform>()
        let current = await catalog.current(tickers)
        for ticker in tickers {
            guard let value = current[ticker]?.settlementYesValue else { continue }
            if await service.settle(ticker, yesValue: value, reason: "the market's result, \(how)") != nil { settled.insert(.kalshi) }
        }
        guard let polymarket else { return settled }
        for (token, value) in await polymarket.resolutions(tokens) {
            if await service.settle(token, yesValue: value, reason: "the Polymarket market's resolution, \(how)") != nil { settled.insert(.polymarket) }
        }
        return settled
    }

    /// Realises what has a result among the positions the journal holds, each asked about on its own venue.
    @discardableResult
    func settleHeld(how: String) async -> Set<Platform> {
        await settle(kalshi: held(.kalshi), polymarket: held(.polymarket), how: how)
    }

    /// The markets the journal holds a position in on `platform` (flat ones left out).
    func held(_ platform: Platform) -> [String] { ((try? service.journal.positions(platforms: [platform])) ?? [:]).keys.sorted() }
}

/// Markets' results, by asking: every `interval` the markets of the positions the journal holds are looked
/// up (`MarketResults`) and a position whose market has a result is realised. Kalshi's lifecycle feed tells
/// sooner; this catches a result whose event the feed missed (its connection down at the time), and is how a
/// run learns Polymarket's: before, those waited for the next start-up, and an arb held through both markets'
/// results had its Kalshi leg realised and not its Polymarket leg (the breaker counted one side).
struct ResultCheckService: Service {
    let results: MarketResults
    let paper: PaperExecutor<ContinuousClock>?
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await check()
            }
        }
    }

    private func positions(_ platform: Platform) -> [String: Contracts] {
        (try? results.service.journal.positions(platforms: [platform])) ?? [:]
    }

    private func check() async {
        let settled = await results.settleHeld(how: "read by the result check")
        if settled.contains(.kalshi), let paper { await paper.restore(positions: positions(.kalshi)) }
        if settled.contains(.polymarket), let paper = results.polymarket?.paper { await paper.restore(positions: positions(.polymarket)) }
    }
}

/// The market-data feed: public trades fill resting paper orders; lifecycle events close markets and
/// apply price-grid changes (the lifecycle service).
struct MarketFeedService: Service {
    let market: LiveMarketData
    let catalog: MarketCatalog
    let paper: PaperExecutor<ContinuousClock>?
    let service: ExecutionService
    let board: RunBoard
    let metrics: ExecutionMetrics
    let log: @Sendable (String) -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await update in market.updates {
                switch update {
                case let .trade(trade):
                    if let paper, let yes = Price(trade.yesPriceDollars) {
                        await paper.onTrade(ticker: trade.marketTicker, yesPrice: yes, count: trade.countFP, takerSide: trade.takerBookSide)
                    }
                case let .book(ticker, _):
                    await paper?.onBook(ticker: ticker)
                case let .lifecycle(event):
                    await apply(event.eventType, event.marketTicker, ranges: event.priceRanges)
                    if event.eventType == "determined" || event.eventType == "settled" {
                        await settle(event)
                    }
                case let .connection(.waiting(delay, reason)):
                    // The run's error state until the feed is back; stale books are never traded on meanwhile.
                    metrics.count("market_data_disconnects")
                    await board.set("error: market data disconnected (\(reason)); retrying in \(delay)")
                    log("market data disconnected (\(reason)); reconnecting, books stale until resynchronised")
                case .connection(.connected):
                    if await board.state.hasPrefix("error") {
                        await board.set("ready")
                        log("market data reconnected")
                    }
                default:
                    continue
                }
            }
        }
    }

    /// A market with a result: what the journal holds there is realised (paper and venue positions alike).
    private func settle(_ event: WSMarketLifecycle) async {
        guard let value = event.settlementYesValue else {
            log("market \(event.marketTicker) \(event.eventType) without a readable result (\(event.result ?? "none")); position kept until one is known")
            return
        }
        guard await service.settle(event.marketTicker, yesValue: value, reason: "market \(event.eventType) \(event.result ?? "")") != nil else { return }
        if let paper { await paper.restore(positions: (try? service.journal.positions(platforms: [.kalshi])) ?? [:]) }
    }

    private func apply(_ type: String, _ ticker: String, ranges: [PriceRangeWire]?) async {
        switch type {
        case "deactivated": await catalog.update(ticker, status: "paused")
        case "activated": await catalog.update(ticker, status: "active")
        case "determined", "settled":
            await catalog.update(ticker, status: type)
            log("market \(ticker) \(type): no further orders")
        case "price_level_structure_updated":
            if let ranges, let grid = try? PriceGrid(wire: ranges) {
                await catalog.update(ticker, grid: grid)
                log("market \(ticker): price grid now \(grid)")
            }
        default: break
        }
    }
}

/// Market discovery: the data venue's open markets, refreshed on an interval.
struct DiscoveryService: Service {
    let catalog: MarketCatalog
    let interval: Duration
    let log: @Sendable (String) -> Void

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do { log("discovery: \(try await catalog.refreshOpenMarkets()) open market(s)") } catch {
                    log("discovery: refresh failed (\(error)); keeping the previous listing")
                }
            }
        }
    }
}

/// The admin API: serves until the group shuts down.
struct AdminService: Service {
    let server: AdminServer

    func run() async throws {
        try? await gracefulShutdown()
        await server.stop()
    }
}

/// At shutdown, once the loop has stopped and before the admin API does: the arbs in flight finish (legs
/// and any close), then this run's resting orders are cancelled. A manual GTC order whose `POST /orders`
/// is still open ends now rather than at its timeout (the API waits for its open requests as it stops).
final class CancelRestingService: Service {
    let service: ExecutionService
    let arbs: ArbEngine
    /// How many the venue cancelled here.
    let cancelled: Mutex<Int>

    init(service: ExecutionService, arbs: ArbEngine) {
        self.service = service
        self.arbs = arbs
        cancelled = Mutex(0)
    }

    func run() async throws {
        try? await gracefulShutdown()
        await arbs.drain()
        await cancel()
    }

    /// How long a stop spends cancelling resting orders, all passes together: a venue that does not answer
    /// must not hold it for every try of every order (3 × the 10 s request timeout each, on Kalshi).
    static let limit: Duration = .seconds(20)
    /// When the first pass began.
    private let began = Mutex<ContinuousClock.Instant?>(nil)

    /// A cancel-all pass within what is left of `limit`: how many it cancelled, nil when it ran out (the
    /// pass goes on unawaited: a cancel the venue answers late still lands).
    @discardableResult
    func cancel() async -> Int? {
        let began = self.began.withLock { began in
            if began == nil { began = .now }
            return began ?? .now
        }
        let left = Self.limit - began.duration(to: .now)
        guard left > .zero, let count = await firstWithin(left, { await self.service.cancelAll() }) else { return nil }
        cancelled.withLock { $0 += count }
        return count
    }
}

/// `--duration`: returns after the given time, which shuts the group down gracefully.
struct DeadlineService: Service {
    let duration: Duration?

    func run() async throws {
        guard let duration else {
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
    }
}

/// Orders left with an unknown outcome are asked about again every `interval` until the venue answers.
struct UnresolvedOrdersService: Service {
    let outcomes: UnknownOutcomes
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await outcomes.askOnce()
            }
        }
    }
}

/// Orders whose outcome is unknown (a submit or a timeout cancel the venue did not answer): no order's
/// execution follows them any more, so only asking the venue settles them.
public struct UnknownOutcomes: Sendable {
    let service: ExecutionService
    let ledger: any VenueLedger
    let absentWindow: Duration
    let log: @Sendable (String) -> Void
    /// Told each order that became final.
    let resolved: @Sendable (String) async -> Void

    /// How long a process about to end waits for the venue's word on them.
    public static let exitAskLimit: Duration = .seconds(10)

    public init(service: ExecutionService, ledger: any VenueLedger, absentWindow: Duration, log: @escaping @Sendable (String) -> Void,
                resolved: @escaping @Sendable (String) async -> Void = { _ in }) {
        self.service = service
        self.ledger = ledger
        self.absentWindow = absentWindow
        self.log = log
        self.resolved = resolved
    }

    /// One pass: every order whose outcome is unknown is asked about; one the venue shows resting is
    /// cancelled, one it shows final is settled. Returns how many stay unknown.
    @discardableResult
    public func askOnce() async -> Int {
        for (id, state) in await service.settleUnresolved(with: ledger, absentWindow: absentWindow) {
            log("RESOLVED \(id): \(state.rawValue) (outcome was unknown)")
            await resolved(id)
        }
        return await service.unresolved.count
    }

    /// The last pass before the process ends (`who`: "shutdown", the command's name), bounded by
    /// `exitAskLimit` (a venue that does not answer must not hold the exit through every read's tries):
    /// one still resting is cancelled now rather than left working until the next start. What stays
    /// unknown is named in a warning.
    public func askBeforeExit(_ who: String) async {
        guard await !service.unresolved.isEmpty else { return }
        let limit = Self.exitAskLimit
        let answered = await firstWithin(limit, { await askOnce() })
        let left = await service.unresolved.sorted()
        guard !left.isEmpty else { return }
        log("WARNING \(who): \(left.count) order(s) with an unknown outcome "
            + (answered == nil ? "the venue did not settle within \(limit)" : "the venue could not settle now")
            + " (\(namedOrders(left))); the next start asks again and cancels any still resting")
    }
}

/// Order ids for a log line: the first ten, and how many more.
func namedOrders(_ ids: [String]) -> String {
    ids.prefix(10).joined(separator: ", ") + (ids.count > 10 ? " and \(ids.count - 10) more" : "")
}

/// `body`'s result, or nil when it has not finished within `limit` (it is then left to finish on its own,
/// unawaited): for the last steps of a process, which a venue that does not answer must not hold.
func firstWithin<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    let first = FirstAnswer<T?>()
    return await withCheckedContinuation { continuation in
        first.set(continuation)
        Task { first.answer(await body()) }
        Task {
            try? await Task.sleep(for: limit)
            first.answer(nil)
        }
    }
}

/// Resumes its continuation with the first answer and ignores the rest.
private final class FirstAnswer<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<T, Never>) { self.continuation.withLock { $0 = continuation } }

    func answer(_ value: T) {
        continuation.withLock { waiting in
            defer { waiting = nil }
            return waiting
        }?.resume(returning: value)
    }
}

/// Journals the best bids of every market held, every `interval` and at shutdown: the last known price
/// `report` marks positions to when the data venue cannot be asked.
struct MarksService: Service {
    let market: LiveMarketData
    /// Polymarket's books, for positions kept under a Polymarket YES token.
    let polymarket: PolymarketConnection?
    let journal: Journal
    let interval: Duration

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                await Self.record(market: market, polymarket: polymarket, journal: journal)
            }
        }
    }

    static func record(market: LiveMarketData, polymarket: PolymarketConnection?, journal: Journal) async {
        guard let held = try? journal.positions(), !held.isEmpty else { return }
        let marks = await currentMarks(market: market, polymarket: polymarket, tickers: held.keys.sorted())
        try? journal.recordMarks(marks.sorted { $0.key < $1.key }.map {
            Journal.Mark(ticker: $0.key, yesBid: $0.value.yesBid, noBid: $0.value.noBid, nanoseconds: $0.value.nanoseconds)
        })
    }

    /// The best bids of `tickers` whose live books are fresh now: a Kalshi market's, or a Polymarket
    /// market's (kept under its YES token: that token's book, or else its NO token's read the other way).
    static func currentMarks(market: LiveMarketData, polymarket: PolymarketConnection?, tickers: [String]) async -> [String: BookMark] {
        var marks: [String: BookMark] = [:]
        let now = ExecutionService.systemWallClock()
        for ticker in tickers {
            var book = await market.book(ticker).freshBook
            if book == nil, let polymarket { book = await polymarket.market.book(ticker).freshBook }
            if let book {
                marks[ticker] = BookMark(yesBid: book.bestBid(.yes)?.price, noBid: book.bestBid(.no)?.price, nanoseconds: now)
            } else if let polymarket, let no = await polymarket.directory.cached(ticker)?.noToken, let book = await polymarket.market.book(no).freshBook {
                // The NO token's bids are the market's NO bids; its asks' complements are the YES bids.
                marks[ticker] = BookMark(yesBid: book.bestBid(.no)?.price, noBid: book.bestBid(.yes)?.price, nanoseconds: now)
            }
        }
        return marks
    }
}

/// SIGTERM/SIGINT between a command's start and its service group taking over signals (connecting,
/// reconciling) would otherwise kill the process with the default action, leaving resting orders behind.
/// `install()` catches them from the start; the run then starts its services and shuts down cleanly.
public enum EarlySignals {
    /// Call first thing in a trading command (not in commands that rely on the default action). The
    /// service group's own handling replaces this handler once it runs.
    public static func install() {
        for number in [SIGTERM, SIGINT] {
            // A lock-free atomic store: safe in a signal handler.
            signal(number) { _ in earlyStopRequested.store(true, ordering: .relaxed) }
        }
    }

    public static var wasRequested: Bool { earlyStopRequested.load(ordering: .relaxed) }
}

private let earlyStopRequested = Atomic<Bool>(false)

/// Shuts the group down at once when a stop signal arrived during start-up.
struct EarlySignalService: Service {
    let log: @Sendable (String) -> Void

    func run() async throws {
        if EarlySignals.wasRequested {
            log("a stop signal arrived during start-up: shutting down")
            return
        }
        try? await gracefulShutdown()
    }
}
