/// A trading venue.
public enum Platform: String, Sendable, Hashable, CaseIterable, Codable {
    case kalshi
    case polymarket

    /// Parses a platform name as operators write it: `kalshi`, `polymarket` or `poly`, any case, with
    /// surrounding spaces ignored. Returns `nil` for anything else (callers report it, never drop it).
    public init?(word: String) {
        switch word.trimmingASCIISpaces().lowercased() {
        case "kalshi": self = .kalshi
        case "polymarket", "poly": self = .polymarket
        default: return nil
        }
    }
}

/// Which outcome of a binary market a position or order is about.
public enum OutcomeSide: String, Sendable, Hashable, CaseIterable, Codable {
    case yes
    case no

    public var opposite: OutcomeSide { self == .yes ? .no : .yes }
}

/// Buying or selling contracts of an outcome.
public enum OrderAction: String, Sendable, Hashable, CaseIterable, Codable {
    case buy
    case sell
}

extension OrderAction {
    /// +1 when trading `side` this way adds YES exposure (buy YES, sell NO), −1 when it adds NO exposure.
    public func positionSign(on side: OutcomeSide) -> Int64 { (self == .buy) == (side == .yes) ? 1 : -1 }
}

/// A side of Kalshi's single YES book: `bid` buys YES (≡ sells NO), `ask` sells YES (≡ buys NO).
public enum BookSide: String, Sendable, Hashable, CaseIterable, Codable {
    case bid
    case ask
}

/// What a Kalshi V2 order carries: the book side and the YES price (DESIGN.md §3).
///
/// | intent              | book side | YES price |
/// |---------------------|-----------|-----------|
/// | buy YES @ p         | bid       | p         |
/// | sell YES @ p        | ask       | p         |
/// | buy NO @ q          | ask       | 1 − q     |
/// | sell NO @ q         | bid       | 1 − q     |
public struct KalshiV2Quote: Hashable, Sendable, CustomStringConvertible {
    public let bookSide: BookSide
    public let yesPrice: Price

    public init(bookSide: BookSide, yesPrice: Price) {
        self.bookSide = bookSide
        self.yesPrice = yesPrice
    }

    /// Maps a trader's intent — `action` on `side` at `price` (quoted in that outcome) — to the V2 order.
    public init(action: OrderAction, side: OutcomeSide, price: Price) {
        switch (action, side) {
        case (.buy, .yes): self.init(bookSide: .bid, yesPrice: price)
        case (.sell, .yes): self.init(bookSide: .ask, yesPrice: price)
        case (.buy, .no): self.init(bookSide: .ask, yesPrice: price.complement)
        case (.sell, .no): self.init(bookSide: .bid, yesPrice: price.complement)
        }
    }

    /// The inverse mapping: read this V2 order as a trade of `side`. A bid is "buy YES @ p" read as YES
    /// and "sell NO @ 1 − p" read as NO; an ask is "sell YES @ p" or "buy NO @ 1 − p".
    public func intent(as side: OutcomeSide) -> (action: OrderAction, price: Price) {
        switch (bookSide, side) {
        case (.bid, .yes): (.buy, yesPrice)
        case (.ask, .yes): (.sell, yesPrice)
        case (.ask, .no): (.buy, yesPrice.complement)
        case (.bid, .no): (.sell, yesPrice.complement)
        }
    }

    /// The outcome side Kalshi reports for this order or fill (`bid` ≡ `yes`, `ask` ≡ `no`).
    public var reportedOutcomeSide: OutcomeSide { bookSide == .bid ? .yes : .no }

    public var description: String { "\(bookSide.rawValue) @ \(yesPrice.wireString) YES" }
}

extension StringProtocol {
    /// Trims spaces and tabs (not newlines) from both ends, without Foundation.
    func trimmingASCIISpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
