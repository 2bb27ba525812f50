/// What a consumer gets when it asks for a book.
public enum ServedBook: Hashable, Sendable {
    /// A book known to be exact as of subscription sequence `seq`.
    case fresh(OrderBook, seq: Int64)
    /// The book is waiting for a resynchronising snapshot and must not be used for trading or fills.
    case stale
    /// No snapshot has been received for this market.
    case unknown

    /// The book when it is fresh, else `nil`.
    public var freshBook: OrderBook? {
        if case let .fresh(book, _) = self { return book }
        return nil
    }
}

/// The seam between market data and its consumers (paper fills, the order manager, `watch`).
public protocol MarketDataSource: Sendable {
    /// The current book of `ticker`, or why there is none to use.
    func book(_ ticker: String) async -> ServedBook
}
