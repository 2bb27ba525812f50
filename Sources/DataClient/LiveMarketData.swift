import Foundation
import KalshiWire
import Logging
import Markets

/// What live market data tells its consumers.
public enum MarketUpdate: Sendable {
    /// A book changed (or became stale or fresh again).
    case book(ticker: String, ServedBook)
    case trade(WSTrade)
    case ticker(WSTicker)
    case lifecycle(WSMarketLifecycle)
    case connection(KalshiWebSocket.State)
}

/// Counters for operators and tests.
public struct MarketDataCounters: Sendable, Hashable {
    public var gaps = 0
    public var inconsistentDeltas = 0
    public var resnapshots = 0
    public var terminalErrors = 0
    public var malformedFrames = 0
}

/// Live order books and market streams from one WebSocket connection.
///
/// Books are served only while provably in sequence (`OrderBookStore`): a sequence gap, a delta that
/// cannot apply, a terminal channel error or a lost connection makes them stale, and they are served again
/// only after a fresh snapshot. A stale book is never used for trading or paper fills.
public actor LiveMarketData: MarketDataSource {
    public let socket: KalshiWebSocket
    public let store = OrderBookStore()
    /// Subscribe with `use_yes_price: true` (NO side on the YES scale); either way books are identical.
    public let useYesPrice: Bool
    public nonisolated let updates: AsyncStream<MarketUpdate>
    private let continuation: AsyncStream<MarketUpdate>.Continuation
    private var consumer: Task<Void, Never>?
    private var bookSubscription: Int?
    private var extraSubscriptions: [WSChannel: Int] = [:]
    /// After a reconnect, the subscriptions not re-created yet: `connected` is announced once they all
    /// are, so a consumer that sees it also sees every event from then on (lifecycle included).
    private var resubscribing: Set<Int> = []
    private var connectedBefore = false
    public private(set) var counters = MarketDataCounters()
    /// Price grids replaced by `price_level_structure_updated`, and markets that stopped trading.
    private var grids: [String: PriceGrid] = [:]
    private var halted: [String: String] = [:]
    private let logger: Logger

    public init(socket: KalshiWebSocket, useYesPrice: Bool = true, logger: Logger = Logger(label: "kalshi.marketdata")) {
        self.socket = socket
        self.useYesPrice = useYesPrice
        self.logger = logger
        (updates, continuation) = AsyncStream<MarketUpdate>.makeStream()
    }

    /// Starts the connection and the processing of its messages.
    public func start() async {
        guard consumer == nil else { return }
        let events = socket.events
        consumer = Task {
            for await event in events { await self.handle(event) }
            self.finish()
        }
        await socket.start()
    }

    public func stop() async {
        await socket.stop()
        await consumer?.value
        consumer = nil
    }

    private func finish() { continuation.finish() }

    /// Streams order books for `tickers` (adding to any already watched).
    public func watchBooks(_ tickers: [String]) async throws {
        if let bookSubscription {
            try await socket.updateMarkets(bookSubscription, add: tickers)
        } else {
            bookSubscription = try await socket.subscribe(.orderbookDelta, tickers: tickers, useYesPrice: useYesPrice)
        }
    }

    /// Stops streaming the books of `tickers` and forgets them.
    public func unwatchBooks(_ tickers: [String]) async throws {
        guard let bookSubscription else { return }
        try await socket.updateMarkets(bookSubscription, remove: tickers)
        for ticker in tickers { await store.remove(ticker) }
    }

    /// Also streams `channel` (`trade`, `ticker`, `market_lifecycle_v2`), optionally filtered.
    public func watch(_ channel: WSChannel, tickers: [String]? = nil) async throws {
        guard extraSubscriptions[channel] == nil else { return }
        extraSubscriptions[channel] = try await socket.subscribe(channel, tickers: tickers)
    }

    public func book(_ ticker: String) async -> ServedBook { await store.book(ticker) }

    /// The market's price grid as last announced on the lifecycle channel, or `nil` if it never changed
    /// since discovery (use the REST `price_ranges` then).
    public func announcedGrid(_ ticker: String) -> PriceGrid? { grids[ticker] }

    /// Why a market is not trading (`deactivated`, `determined`, `settled`), or `nil` if it is.
    public func haltReason(_ ticker: String) -> String? { halted[ticker] }

    // MARK: Messages

    private func handle(_ event: KalshiWebSocket.Event) async {
        switch event {
        case let .state(state):
            if state != .connected { await store.markAllStale() }
            if state == .connected {
                let subscriptions = Set([bookSubscription].compactMap { $0 } + extraSubscriptions.values)
                defer { connectedBefore = true }
                if connectedBefore, !subscriptions.isEmpty {
                    resubscribing = subscriptions
                    return
                }
            }
            continuation.yield(.connection(state))
        case .malformed:
            counters.malformedFrames += 1
        case let .resubscribed(localID, _, _, _):
            if resubscribing.remove(localID) != nil, resubscribing.isEmpty { continuation.yield(.connection(.connected)) }
        case let .message(message):
            await handle(message)
        }
    }

    /// After a sequence gap: tell consumers which books are stale and ask for fresh snapshots of them.
    private func resynchronise(sid: Int, expected: Int64, received: Int64, stale: [String]) async {
        counters.gaps += 1
        logger.warning("sequence gap on sid \(sid): expected \(expected), got \(received); resynchronising \(stale.count) book(s)")
        for ticker in stale { continuation.yield(.book(ticker: ticker, .stale)) }
        counters.resnapshots += stale.count
        await socket.requestSnapshots(sid: sid, tickers: stale)
    }

    private func handle(_ message: WSInbound) async {
        switch message {
        case let .snapshot(sid, seq, _, body):
            do {
                let book = try body.orderBook(yesPriceScale: useYesPrice)
                let outcome = await store.applySnapshot(book, sid: sid, seq: seq)
                continuation.yield(.book(ticker: book.ticker, await store.book(book.ticker)))
                // A snapshot can reveal a gap too: the subscription's other books are stale now.
                if case let .gap(expected, received, stale) = outcome {
                    await resynchronise(sid: sid, expected: expected, received: received, stale: stale.filter { $0 != book.ticker })
                }
            } catch {
                logger.error("unusable snapshot for \(body.marketTicker): \(error)")
                counters.inconsistentDeltas += 1
            }
        case let .delta(sid, seq, delta):
            // The book subscription is this type's own, made with `useYesPrice`: no need to ask the socket.
            let price = delta.side == .no && useYesPrice ? delta.priceDollars.complement : delta.priceDollars
            let outcome = await store.applyDelta(ticker: delta.marketTicker, side: delta.side, price: price, delta: delta.deltaFP, sid: sid, seq: seq)
            switch outcome {
            case .applied:
                continuation.yield(.book(ticker: delta.marketTicker, await store.book(delta.marketTicker)))
            case .ignored:
                break
            case let .gap(expected, received, stale):
                await resynchronise(sid: sid, expected: expected, received: received, stale: stale)
            case let .inconsistent(ticker, reason):
                counters.inconsistentDeltas += 1
                logger.warning("delta cannot apply to \(ticker) (\(reason)); resynchronising")
                continuation.yield(.book(ticker: ticker, .stale))
                counters.resnapshots += 1
                await socket.requestSnapshots(sid: sid, tickers: [ticker])
            }
        case let .error(_, sid?, code, _) where WSErrorCode.isTerminal(code):
            counters.terminalErrors += 1
            for ticker in await store.markStale(sid: sid) { continuation.yield(.book(ticker: ticker, .stale)) }
        case let .trade(_, _, trade):
            continuation.yield(.trade(trade))
        case let .ticker(_, ticker):
            continuation.yield(.ticker(ticker))
        case let .lifecycle(_, _, event):
            switch event.eventType {
            case "price_level_structure_updated":
                if let ranges = event.priceRanges {
                    do { grids[event.marketTicker] = try PriceGrid(wire: ranges) } catch {
                        logger.error("unusable price_ranges for \(event.marketTicker): \(error)")
                    }
                }
            case "deactivated":
                halted[event.marketTicker] = "deactivated"
            case "activated":
                halted[event.marketTicker] = nil
            case "determined", "settled":
                halted[event.marketTicker] = event.eventType
                await store.remove(event.marketTicker)
            default:
                break
            }
            continuation.yield(.lifecycle(event))
        default:
            break
        }
    }
}
