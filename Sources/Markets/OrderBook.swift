/// One price level of a book: a price and the contracts resting there.
public struct BookLevel: Hashable, Sendable, CustomStringConvertible {
    public let price: Price
    public let size: Contracts

    public init(price: Price, size: Contracts) {
        self.price = price
        self.size = size
    }

    public var description: String { "\(size.wireString) @ \(price.wireString)" }
}

/// A book update that cannot be applied exactly. The book is unchanged when one is thrown.
public struct OrderBookError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The result of walking a book for `count` contracts.
public struct BookWalk: Hashable, Sendable {
    /// Contracts available within the limit (≤ requested).
    public let filled: Contracts
    /// Exact cost (buy) or proceeds (sell) of `filled`, rounded up for buys and down for sells.
    public let notional: Dollars
    /// The levels consumed, best first, with the size taken from each.
    public let levels: [BookLevel]

    /// Volume-weighted average price of the walk, rounded against the trader, `nil` when nothing fills.
    public func averagePrice(rounding direction: RoundingDirection) -> Dollars? {
        Dollars.average(of: notional, over: filled, rounding: direction)
    }
}

/// A Kalshi market's order book as Kalshi describes it: resting **bids** for YES and for NO. Asks are
/// implied: buying YES at p means matching a NO bid at 1 − p, so the best YES ask is 1 − best NO bid.
///
/// Levels are kept sorted ascending by price (Kalshi's wire order, best bid last) with strictly positive
/// sizes; a level that reaches zero is removed, so the book never shows phantom liquidity.
public struct OrderBook: Hashable, Sendable {
    public let ticker: String
    /// YES bids, ascending by price.
    public private(set) var yesBids: [BookLevel]
    /// NO bids, ascending by price.
    public private(set) var noBids: [BookLevel]

    public init(ticker: String) {
        self.ticker = ticker
        yesBids = []
        noBids = []
    }

    /// A book from snapshot levels in any order. Duplicate prices or non-positive sizes are errors.
    public init(ticker: String, yesBids: [BookLevel], noBids: [BookLevel]) throws(OrderBookError) {
        self.ticker = ticker
        self.yesBids = try Self.validated(yesBids, side: .yes, ticker: ticker)
        self.noBids = try Self.validated(noBids, side: .no, ticker: ticker)
    }

    private static func validated(_ levels: [BookLevel], side: OutcomeSide, ticker: String) throws(OrderBookError) -> [BookLevel] {
        let sorted = levels.sorted { $0.price < $1.price }
        for (index, level) in sorted.enumerated() {
            guard level.size.isPositive else {
                throw OrderBookError("\(ticker) \(side.rawValue) level \(level.price.wireString) has non-positive size \(level.size.wireString)")
            }
            if index > 0, sorted[index - 1].price == level.price {
                throw OrderBookError("\(ticker) \(side.rawValue) price \(level.price.wireString) appears twice")
            }
        }
        return sorted
    }

    /// The bids of one outcome, ascending by price.
    public func bids(_ side: OutcomeSide) -> [BookLevel] { side == .yes ? yesBids : noBids }

    /// Applies a signed change to the size resting at `price` on `side`'s bids (Kalshi `delta_fp`).
    /// A level reaching zero is removed; a change that would make a level negative is an error and
    /// leaves the book untouched (the caller must resynchronise).
    public mutating func apply(delta: Contracts, at price: Price, side: OutcomeSide) throws(OrderBookError) {
        guard delta.hundredths != 0 else { return }
        if side == .yes { try Self.apply(delta, at: price, to: &yesBids, side: side, ticker: ticker) }
        else { try Self.apply(delta, at: price, to: &noBids, side: side, ticker: ticker) }
    }

    private static func apply(_ delta: Contracts, at price: Price, to levels: inout [BookLevel], side: OutcomeSide, ticker: String) throws(OrderBookError) {
        let index = insertionIndex(of: price, in: levels)
        if index < levels.count, levels[index].price == price {
            let (size, overflow) = levels[index].size.hundredths.addingReportingOverflow(delta.hundredths)
            guard !overflow, size >= 0 else {
                throw OrderBookError("\(ticker) \(side.rawValue) \(price.wireString): delta \(delta.wireString) on size \(levels[index].size.wireString) goes negative")
            }
            if size == 0 { levels.remove(at: index) } else { levels[index] = BookLevel(price: price, size: Contracts(hundredths: size)) }
        } else {
            guard delta.hundredths > 0 else {
                throw OrderBookError("\(ticker) \(side.rawValue) \(price.wireString): delta \(delta.wireString) at an empty level")
            }
            levels.insert(BookLevel(price: price, size: delta), at: index)
        }
    }

    /// Binary search: the index of `price`, or where it would be inserted.
    private static func insertionIndex(of price: Price, in levels: [BookLevel]) -> Int {
        var low = 0, high = levels.count
        while low < high {
            let mid = (low + high) / 2
            if levels[mid].price < price { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Best (highest) bid for `side`.
    public func bestBid(_ side: OutcomeSide) -> BookLevel? { bids(side).last }

    /// Best (lowest) ask for `side`, implied from the opposite side's best bid: 1 − that price, same size.
    public func bestAsk(_ side: OutcomeSide) -> BookLevel? {
        bestBid(side.opposite).map { BookLevel(price: $0.price.complement, size: $0.size) }
    }

    /// Asks for `side`, best (lowest) first, implied from the opposite bids.
    public func asks(_ side: OutcomeSide) -> [BookLevel] {
        bids(side.opposite).reversed().map { BookLevel(price: $0.price.complement, size: $0.size) }
    }

    /// Contracts resting at exactly `price` on `side`'s bids.
    public func bidSize(_ side: OutcomeSide, at price: Price) -> Contracts {
        let levels = bids(side)
        let index = Self.insertionIndex(of: price, in: levels)
        return index < levels.count && levels[index].price == price ? levels[index].size : .zero
    }

    /// Walks the asks to buy up to `count` of `side` at or below `limit` (all levels when `nil`).
    public func walkToBuy(_ side: OutcomeSide, count: Contracts, limit: Price? = nil) -> BookWalk {
        walk(asks(side), count: count, direction: .up) { price in limit.map { price <= $0 } ?? true }
    }

    /// Walks the bids to sell up to `count` of `side` at or above `limit` (all levels when `nil`).
    public func walkToSell(_ side: OutcomeSide, count: Contracts, limit: Price? = nil) -> BookWalk {
        walk(bids(side).reversed(), count: count, direction: .down) { price in limit.map { price >= $0 } ?? true }
    }

    private func walk(_ levels: some Sequence<BookLevel>, count: Contracts, direction: RoundingDirection, within: (Price) -> Bool) -> BookWalk {
        var remaining = max(count.hundredths, 0)
        var exact: Int128 = 0  // micro-dollars × hundredths
        var taken: [BookLevel] = []
        for level in levels where remaining > 0 {
            guard within(level.price) else { break }
            let size = min(level.size.hundredths, remaining)
            remaining -= size
            exact += Int128(level.price.micros) * Int128(size)
            taken.append(BookLevel(price: level.price, size: Contracts(hundredths: size)))
        }
        let filled = Contracts(hundredths: max(count.hundredths, 0) - remaining)
        let micros = FixedMath.divide(exact, by: Int128(Contracts.scale), direction)
        return BookWalk(filled: filled, notional: Dollars(micros: Int64(clamping: micros)), levels: taken)
    }
}
