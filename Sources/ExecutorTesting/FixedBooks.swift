import DataClient
import Markets
import Synchronization

/// Books a test sets by hand: a `MarketDataSource` that serves exactly what it was given.
public final class FixedBooks: MarketDataSource, Sendable {
    private let served = Mutex<[String: ServedBook]>([:])

    public init() {}

    public func set(_ ticker: String, _ book: ServedBook) { served.withLock { $0[ticker] = book } }

    /// A fresh book offering YES at `yesAsk` and NO at `noAsk` (`size` contracts each).
    public func offer(_ ticker: String, yesAsk: Price, noAsk: Price, size: Contracts) {
        let book = (try? OrderBook(ticker: ticker, yesBids: [BookLevel(price: noAsk.complement, size: size)],
                                   noBids: [BookLevel(price: yesAsk.complement, size: size)])) ?? OrderBook(ticker: ticker)
        set(ticker, .fresh(book, seq: 1))
    }

    public func book(_ ticker: String) async -> ServedBook { served.withLock { $0[ticker] ?? .unknown } }
}
