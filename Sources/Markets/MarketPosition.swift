/// What a fill or a settlement realised in one market.
public struct Realization: Hashable, Sendable, CustomStringConvertible {
    /// Contracts of the held side that were closed (positive).
    public let closed: Contracts
    /// Realised profit (positive) or loss (negative), every fee included.
    public let pnl: Dollars

    public init(closed: Contracts, pnl: Dollars) {
        self.closed = closed
        self.pnl = pnl
    }

    public var description: String { "closed=\(closed.wireString) pnl=\(pnl.wireString)" }
}

/// One market's position with Kalshi's netting and an average-cost basis.
///
/// Kalshi keeps one signed position per market: YES contracts count positive, NO contracts negative,
/// and buying NO while long YES closes YES (the pair nets to $1). Every fill is therefore read on the
/// YES scale: buy YES @ p and sell NO @ 1 − p add YES exposure at YES price p; buy NO @ q and sell YES
/// @ 1 − q take it away at YES price 1 − q.
///
/// - A fill that adds to the held side (or opens one) adds its cost and its fee to the basis.
/// - A fill that reduces the held side realises `exit × closed − fee − basis × closed / held`, where
///   `exit` is what the held side is worth in the fill (a sell's price, or 1 − the price of the opposite
///   side bought); fees therefore count twice as they should: the opening fee through the basis, the
///   closing fee directly. A fill larger than the position closes it and opens the other side with the
///   rest (its fee split pro rata).
/// - Settlement pays $1 (or the scalar value) per contract of the winning side and realises
///   `payout − basis` for whatever is held.
///
/// All arithmetic is exact and overflow-checked: amounts round against the trader (costs up,
/// proceeds down), so a realised figure is never better than the truth.
public struct MarketPosition: Hashable, Sendable {
    /// Signed contracts: + YES, − NO.
    public private(set) var position: Contracts
    /// Cost of the contracts held, opening fees included (zero when flat).
    public private(set) var basis: Dollars
    /// Everything realised in this market so far.
    public private(set) var realized: Dollars
    /// Every fee paid in this market so far (already inside `basis` and `realized`; shown for reports).
    public private(set) var fees: Dollars

    public init(position: Contracts = .zero, basis: Dollars = .zero, realized: Dollars = .zero, fees: Dollars = .zero) {
        self.position = position
        self.basis = basis
        self.realized = realized
        self.fees = fees
    }

    /// The outcome held, `nil` when flat.
    public var heldSide: OutcomeSide? {
        position.hundredths > 0 ? .yes : position.hundredths < 0 ? .no : nil
    }

    /// Average cost per contract of the held side, fees included (rounded up), `nil` when flat.
    public var averageCost: Dollars? {
        let held = position.magnitude.hundredths
        guard held > 0 else { return nil }
        let micros = FixedMath.divide(Int128(basis.micros) * Int128(Contracts.scale), by: Int128(held), .up)
        return Int64(exactly: micros).map(Dollars.init(micros:))
    }

    /// Applies one fill of `count` contracts of `side` bought or sold (`action`) at `price` (the traded
    /// outcome's price) with its `fee`. Returns what it realised when it reduced the position.
    @discardableResult
    public mutating func apply(action: OrderAction, side: OutcomeSide, count: Contracts, price: Price, fee: Dollars)
        throws(ArithmeticOverflowError) -> Realization? {
        guard count.isPositive else { return nil }
        let yesPrice = price.of(side)  // the fill's price on the YES scale (`of` is its own inverse)
        let sign = action.positionSign(on: side)
        fees = try fees + fee
        let current = position.hundredths
        if current == 0 || (current > 0) == (sign > 0) {
            try open(sign > 0 ? .yes : .no, count: count, yesPrice: yesPrice, fee: fee)
            return nil
        }
        let held: OutcomeSide = current > 0 ? .yes : .no
        let heldCount = position.magnitude
        let closing = min(count, heldCount)
        let opening = try count - closing
        let closeFee = opening.isPositive ? try Self.share(of: fee, closing, of: count, .up) : fee
        let share = closing == heldCount ? basis : try Self.share(of: basis, closing, of: heldCount, .down)
        let proceeds = try yesPrice.of(held).notional(closing, rounding: .down)
        let pnl = try proceeds - closeFee - share
        basis = try basis - share
        realized = try realized + pnl
        position = try position + Contracts(hundredths: sign * closing.hundredths)
        if opening.isPositive {
            try open(held.opposite, count: opening, yesPrice: yesPrice, fee: try fee - closeFee)
        }
        return Realization(closed: closing, pnl: pnl)
    }

    /// Settles the market: each YES contract is worth `yesValue` ($1 for a "yes" result, $0 for "no",
    /// the settlement value of a scalar market), each NO contract the rest. Realises everything held.
    @discardableResult
    public mutating func settle(yesValue: Dollars) throws(ArithmeticOverflowError) -> Realization? {
        guard let held = heldSide else { return nil }
        let value = held == .yes ? yesValue : try Dollars.one - yesValue
        let count = position.magnitude
        let payout = Dollars(micros: try Self.scaled(value.micros, count.hundredths, by: Contracts.scale, .down))
        let pnl = try payout - basis
        realized = try realized + pnl
        basis = .zero
        position = .zero
        return Realization(closed: count, pnl: pnl)
    }

    /// What closing everything at `mark` (the held side's price) would realise, before exit fees.
    public func unrealized(atHeldSidePrice mark: Price) throws(ArithmeticOverflowError) -> Dollars {
        guard heldSide != nil else { return .zero }
        return try mark.notional(position.magnitude, rounding: .down) - basis
    }

    /// Replaces the position outright (reconciliation adopting the venue's count): the basis follows
    /// the average cost while the side is unchanged; a side the journal did not hold has no known cost.
    public mutating func adopt(_ venue: Contracts) throws(ArithmeticOverflowError) -> Bool {
        guard venue != position else { return true }
        let sameSide = (venue.hundredths > 0 && position.hundredths > 0) || (venue.hundredths < 0 && position.hundredths < 0)
        let known = sameSide || venue == .zero
        basis = sameSide ? Dollars(micros: try Self.scaled(basis.micros, venue.magnitude.hundredths, by: position.magnitude.hundredths, .up)) : .zero
        position = venue
        return known
    }

    private mutating func open(_ side: OutcomeSide, count: Contracts, yesPrice: Price, fee: Dollars) throws(ArithmeticOverflowError) {
        basis = try basis + yesPrice.of(side).notional(count, rounding: .up) + fee
        position = try position + Contracts(hundredths: side == .yes ? count.hundredths : -count.hundredths)
    }

    /// `amount × part / whole`, rounded in `direction` (whole > 0).
    private static func share(of amount: Dollars, _ part: Contracts, of whole: Contracts, _ direction: RoundingDirection)
        throws(ArithmeticOverflowError) -> Dollars {
        Dollars(micros: try scaled(amount.micros, part.hundredths, by: whole.hundredths, direction))
    }

    private static func scaled(_ value: Int64, _ numerator: Int64, by denominator: Int64, _ direction: RoundingDirection)
        throws(ArithmeticOverflowError) -> Int64 {
        guard denominator > 0 else { throw ArithmeticOverflowError(operation: "\(value) × \(numerator) / \(denominator)") }
        let result = FixedMath.divide(Int128(value) * Int128(numerator), by: Int128(denominator), direction)
        guard let exact = Int64(exactly: result) else { throw ArithmeticOverflowError(operation: "\(value) × \(numerator) / \(denominator)") }
        return exact
    }
}
