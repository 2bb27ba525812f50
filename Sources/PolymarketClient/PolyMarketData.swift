import Foundation
import Logging
import Markets
import PolymarketWire
import Synchronization

/// What the Polymarket market channel tells its consumers.
public enum PolyMarketUpdate: Sendable {
    /// A token's book changed (or became stale or fresh again).
    case book(token: String, ServedBook)
    case lastTrade(PolyWSLastTrade)
    case tickSize(token: String, PolyTickSize)
    case connected(Bool)
}

/// Counters for operators and tests.
public struct PolyMarketDataCounters: Sendable, Hashable {
    /// Books found inconsistent (a stated best price or hash disagreed, or a change could not apply).
    public var inconsistencies = 0
    /// REST snapshots fetched to resynchronise.
    public var resyncs = 0
    public var malformedFrames = 0
    /// Tokens whose hashes could not be reproduced (the book matched the venue's after a resync): checked
    /// by best prices only from then on.
    public var hashUnverifiable = 0
}

/// Exact local books of Polymarket tokens from the market channel, served to the paper executor and the
/// order manager as `MarketDataSource` (keyed by token id).
///
/// A book is served only while it is known exact: every `price_change` is checked against the best
/// prices it states, and the book hash the latest change carries is checked before the book is served;
/// a disagreement, a change that cannot apply, or a lost connection makes the book stale until a fresh
/// snapshot (the channel's `book`, or `GET /book` when a change disagrees) replaces it.
public actor PolyMarketData: MarketDataSource {
    public let socket: PolyWebSocket
    public let client: PolymarketClient
    public nonisolated let updates: AsyncStream<PolyMarketUpdate>
    private let continuation: AsyncStream<PolyMarketUpdate>.Continuation
    private let assets: AssetSet
    private var books: [String: PolyLocalBook] = [:]
    private var fresh: Set<String> = []
    private var resyncing: Set<String> = []
    /// Tokens whose hashes this client cannot reproduce (see `hashUnverifiable`).
    private var skipHash: Set<String> = []
    /// The hash the venue stated with a token's latest change, checked when the book is next served
    /// (computing it costs the whole book; checking on use keeps a change's cost at a binary search).
    private var unverified: [String: (timestamp: String, hash: String)] = [:]
    private var consumer: Task<Void, Never>?
    private var stopping = false
    /// The fast reader of `price_change` frames, with the ids it has seen.
    private var reader = PolyFastPriceChange()
    public private(set) var counters = PolyMarketDataCounters()
    private let logger: Logger

    /// The subscribed tokens, read by the socket on every connect.
    final class AssetSet: Sendable {
        private let tokens = Mutex<[String]>([])
        func add(_ new: [String]) -> [String] {
            tokens.withLock { current in
                let added = new.filter { !current.contains($0) }
                current += added
                return added
            }
        }
        var all: [String] { tokens.withLock { $0 } }
    }

    public init(webSocketURL: URL, client: PolymarketClient, logger: Logger = Logger(label: "polymarket.marketdata")) {
        let assets = AssetSet()
        self.assets = assets
        self.client = client
        self.logger = logger
        socket = PolyWebSocket(PolyWebSocket.Configuration(url: webSocketURL.appendingPathComponent("market"))) {
            let tokens = assets.all
            guard !tokens.isEmpty else { return nil }
            return Self.subscription(tokens, initial: true)
        }
        (updates, continuation) = AsyncStream<PolyMarketUpdate>.makeStream()
    }

    static func subscription(_ tokens: [String], initial: Bool) -> String {
        let list = tokens.map { "\"\($0)\"" }.joined(separator: ",")
        return initial ? "{\"assets_ids\":[\(list)],\"type\":\"market\",\"custom_feature_enabled\":true}"
            : "{\"assets_ids\":[\(list)],\"operation\":\"subscribe\"}"
    }

    public func start() async {
        guard consumer == nil else { return }
        await socket.start()
        let events = socket.events
        consumer = Task { [weak self] in
            for await event in events {
                guard let self else { return }
                await self.handle(event)
            }
        }
    }

    public func stop() async {
        stopping = true
        await socket.stop()
        consumer?.cancel()
        consumer = nil
        continuation.finish()
    }

    /// Subscribes to `tokens` (their books arrive as `book` snapshots; metadata is read from `GET /book`).
    /// The metadata is read before the tokens join the subscribed set: the channel subscribes the whole set
    /// whenever it (re)connects, and a snapshot that arrived before its token's metadata made a book whose
    /// hash could not match the venue's (a false inconsistency and a resync, seen when the connection
    /// opened during the reads).
    public func subscribe(_ tokens: [String]) async {
        let known = Set(assets.all)
        var seen = Set<String>()
        let new = tokens.filter { !known.contains($0) && seen.insert($0).inserted }
        guard !new.isEmpty else { return }
        for token in new where books[token] == nil {
            if let summary = try? await client.book(token) {
                var book = PolyLocalBook(assetID: token, market: summary.market)
                try? book.replace(with: summary)
                // Metadata only: the channel's snapshot, not this read, makes the book fresh (it orders changes).
                if books[token] == nil { books[token] = book }
            }
        }
        let added = assets.add(new)
        guard !added.isEmpty else { return }
        await socket.send(Self.subscription(added, initial: !(await socket.isConnected) || added.count == assets.all.count))
    }

    public var subscribedTokens: [String] { assets.all }

    // MARK: MarketDataSource

    public func book(_ ticker: String) async -> ServedBook {
        guard let book = books[ticker] else { return .unknown }
        guard fresh.contains(ticker) else { return .stale }
        if let stated = unverified.removeValue(forKey: ticker), !skipHash.contains(ticker), book.summary(timestamp: stated.timestamp).hash != stated.hash {
            counters.inconsistencies += 1
            logger.warning("polymarket book \(ticker.prefix(12))…: book hash disagrees with the venue's; stale, resynchronising")
            markStale(ticker)
            Task { await self.resync(ticker) }
            return .stale
        }
        return .fresh(book.orderBook, seq: book.version)
    }

    /// The exact local book of a token (fresh or not).
    public func localBook(_ token: String) -> PolyLocalBook? { books[token] }

    public func isFresh(_ token: String) -> Bool { fresh.contains(token) }

    // MARK: Processing

    private func handle(_ event: PolyWebSocket.Event) async {
        switch event {
        case .connected:
            continuation.yield(.connected(true))
        case let .disconnected(reason):
            for token in fresh { continuation.yield(.book(token: token, .stale)) }
            fresh.removeAll()
            if !stopping { logger.warning("polymarket market channel lost (\(reason)); books stale until the channel's snapshots") }
            continuation.yield(.connected(false))
        case let .text(text):
            await receive(Data(text.utf8))
        }
    }

    /// One frame of the market channel (also the entry point for tests and benchmarks).
    public func receive(_ data: Data) async {
        if let change = reader.parse(data) {
            await apply(change)
            return
        }
        let events: [PolyWSEvent]
        do { events = try PolyWSEvent.parse(data) } catch {
            counters.malformedFrames += 1
            logger.warning("polymarket market channel: malformed frame (\(PolyOrderRequest.describeDecoding(error)))")
            return
        }
        for event in events {
            switch event {
            case let .book(snapshot): adopt(snapshot)
            case let .priceChange(change): await apply(change)
            case let .tickSizeChange(change):
                books[change.assetID]?.tickSize = change.newTickSize
                // The book's hash covers its tick and last trade price: a hash the venue stated before this
                // event no longer describes the book (the next change states a new one).
                unverified[change.assetID] = nil
                if let tick = PolyTickSize(parsing: change.newTickSize) { continuation.yield(.tickSize(token: change.assetID, tick)) }
            case let .lastTrade(trade):
                books[trade.assetID]?.lastTradePrice = trade.price
                unverified[trade.assetID] = nil
                continuation.yield(.lastTrade(trade))
            case .order, .trade, .other: continue
            }
        }
    }

    private func adopt(_ snapshot: PolyWSBook) {
        var book = books[snapshot.assetID] ?? PolyLocalBook(assetID: snapshot.assetID, market: snapshot.market)
        do { try book.replace(bids: snapshot.bids, asks: snapshot.asks) } catch {
            counters.inconsistencies += 1
            logger.warning("polymarket book \(snapshot.assetID.prefix(12))…: unusable snapshot (\(error)); stale")
            markStale(snapshot.assetID)
            return
        }
        books[snapshot.assetID] = book
        fresh.insert(snapshot.assetID)
        unverified[snapshot.assetID] = (snapshot.timestamp, snapshot.hash)
        continuation.yield(.book(token: snapshot.assetID, .fresh(book.orderBook, seq: book.version)))
    }

    private func apply(_ message: PolyWSPriceChange) async {
        var touched: [String] = []
        var broken: [String: String] = [:]
        // Each token's last change in the message: its best prices and hash are checked once all of the
        // token's changes are applied (a change's best prices may describe the book after the whole
        // message, not after that one level).
        var last: [String: PolyPriceChange] = [:]
        for change in message.priceChanges where fresh.contains(change.assetID) && broken[change.assetID] == nil {
            // Applied in place through the values view (a copy of the book would copy its levels on every
            // change; the optional subscript moves the book out and back): 12 % of parse + apply.
            guard let slot = books.index(forKey: change.assetID) else { continue }
            do { try books.values[slot].apply(change) } catch {
                broken[change.assetID] = error.description
                continue
            }
            last[change.assetID] = change
            if !touched.contains(change.assetID) { touched.append(change.assetID) }
        }
        for token in touched where broken[token] == nil {
            guard let change = last[token], let book = books[token] else { continue }
            if !book.agrees(bestBid: change.bestBid, bestAsk: change.bestAsk) {
                broken[token] = "best prices disagree with the venue's (bid \(change.bestBid ?? "-"), ask \(change.bestAsk ?? "-"))"
            } else if let hash = change.hash {
                unverified[token] = (message.timestamp, hash)
            }
        }
        for token in touched where broken[token] == nil {
            if let book = books[token] { continuation.yield(.book(token: token, .fresh(book.orderBook, seq: book.version))) }
        }
        for (token, reason) in broken.sorted(by: { $0.key < $1.key }) {
            counters.inconsistencies += 1
            logger.warning("polymarket book \(token.prefix(12))…: \(reason); stale, resynchronising")
            markStale(token)
            await resync(token)
        }
    }

    private func markStale(_ token: String) {
        unverified[token] = nil
        if fresh.remove(token) != nil { continuation.yield(.book(token: token, .stale)) }
    }

    /// Replaces a token's book from `GET /book`. When the venue's book equals the local one and this
    /// client cannot even reproduce the REST summary's own hash, the disagreement was the hash scheme, not
    /// the book: that token's hashes are not checked again (best prices still are).
    private func resync(_ token: String) async {
        guard resyncing.insert(token).inserted else { return }
        defer { resyncing.remove(token) }
        counters.resyncs += 1
        let before = books[token]
        guard let summary = try? await client.book(token) else {
            logger.warning("polymarket book \(token.prefix(12))…: resync failed; stays stale until the channel's next snapshot")
            return
        }
        var book = before ?? PolyLocalBook(assetID: token, market: summary.market)
        do { try book.replace(with: summary) } catch {
            logger.warning("polymarket book \(token.prefix(12))…: unusable REST snapshot (\(error))")
            return
        }
        if let before, before.bids.map(\.price) == book.bids.map(\.price), before.bids.map(\.size) == book.bids.map(\.size),
           before.asks.map(\.price) == book.asks.map(\.price), before.asks.map(\.size) == book.asks.map(\.size), summary.computedHash != summary.hash,
           skipHash.insert(token).inserted {
            counters.hashUnverifiable += 1
            logger.warning("polymarket book \(token.prefix(12))…: hashes cannot be reproduced here; checking best prices only")
        }
        books[token] = book
        fresh.insert(token)
        continuation.yield(.book(token: token, .fresh(book.orderBook, seq: book.version)))
    }
}
