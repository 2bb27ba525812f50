import Markets

/// What applying one sequenced book message did.
public enum BookUpdateOutcome: Hashable, Sendable {
    case applied
    /// A delta for a market with no snapshot yet (or already stale): ignored safely.
    case ignored
    /// `seq` did not follow the subscription's last one: every book of the subscription is now stale
    /// and the caller must fetch fresh snapshots (`get_snapshot` or resubscribe).
    case gap(expected: Int64, received: Int64, staleTickers: [String])
    /// The delta could not apply exactly (a level would go negative): the book is stale.
    case inconsistent(ticker: String, reason: String)
}

/// Local order books fed by sequenced snapshot and delta messages (Kalshi `orderbook_delta` channel).
///
/// Sequence numbers run per subscription (`sid`), across all of its markets, so a gap makes every book
/// of that subscription stale at once. A stale book is never served: it waits for its next snapshot.
public actor OrderBookStore: MarketDataSource {
    private struct Entry {
        var book: OrderBook
        var sid: Int
        var seq: Int64
        var stale: Bool
    }

    private var entries: [String: Entry] = [:]
    private var lastSeq: [Int: Int64] = [:]

    public init() {}

    /// Checks and advances the subscription's sequence. Returns the gap outcome if there is one.
    private func advance(sid: Int, seq: Int64) -> BookUpdateOutcome? {
        defer { lastSeq[sid] = seq }
        guard let last = lastSeq[sid], seq != last + 1 else { return nil }
        let stale = markStale(sid: sid)
        return .gap(expected: last + 1, received: seq, staleTickers: stale)
    }

    /// Marks every book of `sid` stale (after a gap, a reconnect, or a terminal subscription error).
    @discardableResult
    public func markStale(sid: Int) -> [String] {
        var tickers: [String] = []
        for (ticker, entry) in entries where entry.sid == sid {
            entries[ticker]?.stale = true
            tickers.append(ticker)
        }
        return tickers.sorted()
    }

    /// Marks every book stale (the connection dropped).
    public func markAllStale() {
        for ticker in entries.keys { entries[ticker]?.stale = true }
        lastSeq.removeAll()
    }

    /// A full snapshot replaces the market's book and makes it fresh.
    @discardableResult
    public func applySnapshot(_ book: OrderBook, sid: Int, seq: Int64) -> BookUpdateOutcome {
        let gap = advance(sid: sid, seq: seq)
        entries[book.ticker] = Entry(book: book, sid: sid, seq: seq, stale: false)
        return gap ?? .applied
    }

    /// A signed change at one price level.
    @discardableResult
    public func applyDelta(ticker: String, side: OutcomeSide, price: Price, delta: Contracts, sid: Int, seq: Int64) -> BookUpdateOutcome {
        if let gap = advance(sid: sid, seq: seq) { return gap }
        guard var entry = entries[ticker], !entry.stale, entry.sid == sid else { return .ignored }
        do {
            try entry.book.apply(delta: delta, at: price, side: side)
        } catch {
            entries[ticker]?.stale = true
            return .inconsistent(ticker: ticker, reason: error.description)
        }
        entry.seq = seq
        entries[ticker] = entry
        return .applied
    }

    /// Forgets a market (unsubscribed, closed or settled).
    public func remove(_ ticker: String) { entries[ticker] = nil }

    public func book(_ ticker: String) -> ServedBook {
        guard let entry = entries[ticker] else { return .unknown }
        return entry.stale ? .stale : .fresh(entry.book, seq: entry.seq)
    }

    /// Tickers currently waiting for a resynchronising snapshot.
    public func staleTickers() -> [String] {
        entries.filter(\.value.stale).map(\.key).sorted()
    }
}
