import Markets

/// A market's minimum price increment and the official client's rounding configuration for it
/// (py-clob-client-v2 `ROUNDING_CONFIG`, polymarket.md §2): decimals of the price, the size (always 2)
/// and the amounts.
public struct PolyTickSize: Hashable, Sendable, CustomStringConvertible {
    /// The tick in micro-dollars: 0.1 = 100,000 … 0.0001 = 100.
    public let micros: Int64
    public let priceDecimals: Int
    public let amountDecimals: Int
    public static let sizeDecimals = 2

    private init(micros: Int64, priceDecimals: Int, amountDecimals: Int) {
        self.micros = micros
        self.priceDecimals = priceDecimals
        self.amountDecimals = amountDecimals
    }

    public static let all: [PolyTickSize] = [
        PolyTickSize(micros: 100_000, priceDecimals: 1, amountDecimals: 3),
        PolyTickSize(micros: 10_000, priceDecimals: 2, amountDecimals: 4),
        PolyTickSize(micros: 5_000, priceDecimals: 3, amountDecimals: 5),
        PolyTickSize(micros: 2_500, priceDecimals: 4, amountDecimals: 6),
        PolyTickSize(micros: 1_000, priceDecimals: 3, amountDecimals: 5),
        PolyTickSize(micros: 100, priceDecimals: 4, amountDecimals: 6),
    ]

    public static let cent = all[1]

    /// One of Polymarket's tick sizes, from its decimal text ("0.01", "0.001", …; "0.010" too).
    public init?(parsing text: String) {
        guard let value = try? Dollars(parsing: text), let tick = Self.all.first(where: { $0.micros == value.micros }) else { return nil }
        self = tick
    }

    public init?(micros: Int64) {
        guard let tick = Self.all.first(where: { $0.micros == micros }) else { return nil }
        self = tick
    }

    public var description: String { Dollars(micros: micros).wireString.trimmedDecimal }
}

/// An order the venue would refuse: the venue's own wording, so what the operator reads is what the venue
/// would have answered.
public struct PolyOrderRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `makerAmount` and `takerAmount` in 6-decimal base units.
public struct PolyAmounts: Hashable, Sendable, CustomStringConvertible {
    public let makerAmount: UInt64
    public let takerAmount: UInt64

    public init(makerAmount: UInt64, takerAmount: UInt64) {
        self.makerAmount = makerAmount
        self.takerAmount = takerAmount
    }

    public var description: String { "(\(makerAmount), \(takerAmount))" }

    // MARK: The official client's arithmetic, in integers

    /// A limit order of `size` shares at `price` (py-clob-client-v2 `get_order_amounts`, used by
    /// `create_order` for every order type): the price rounded to the tick's price decimals (half up), the
    /// size floored to 2 decimals; BUY pays `size × price` for `size` shares, SELL gives `size` shares for
    /// `size × price`. Exact: no binary float is involved, so none of the SDKs' float artefacts either.
    public static func limit(side: PolySide, price: Dollars, size: Dollars, tick: PolyTickSize) throws(PolyOrderRefusal) -> PolyAmounts {
        let roundedPrice = round(price.micros, toDecimals: tick.priceDecimals, .halfUp)
        let shares = round(size.micros, toDecimals: PolyTickSize.sizeDecimals, .down)
        guard shares >= 0 else { throw PolyOrderRefusal("invalid size \(size.wireString)") }
        // shares (µ) × price (µ) / 10⁶ is exact: the price has at most 4 decimals, the shares 2.
        let collateral = try product(shares, roundedPrice)
        let amounts = side == .buy ? (collateral, shares) : (shares, collateral)
        return try make(amounts.0, amounts.1)
    }

    /// A market order (py-clob-client-v2 `get_market_order_amounts`): `amount` is collateral to spend
    /// (BUY) or shares to sell (SELL), floored to 2 decimals; the price floored to the tick's decimals.
    /// BUY receives `amount / price` shares, taken up to `amountDecimals + 4` decimals then floored to
    /// `amountDecimals` when it still has more (the client's rule); SELL receives `amount × price`.
    public static func market(side: PolySide, price: Dollars, amount: Dollars, tick: PolyTickSize) throws(PolyOrderRefusal) -> PolyAmounts {
        let roundedPrice = round(price.micros, toDecimals: tick.priceDecimals, .down)
        let maker = round(amount.micros, toDecimals: PolyTickSize.sizeDecimals, .down)
        guard maker >= 0, roundedPrice > 0 else { throw PolyOrderRefusal("invalid market order: amount \(amount.wireString) at \(price.wireString)") }
        switch side {
        case .sell:
            return try make(maker, try product(maker, roundedPrice))
        case .buy:
            // shares = maker / price, first ceiled to (amountDecimals + 4) decimals.
            let fine = tick.amountDecimals + 4
            let numerator = Int128(maker) * Int128(pow10(fine))
            var shares = numerator / Int128(roundedPrice)
            if numerator % Int128(roundedPrice) != 0 { shares += 1 }  // units of 10^-fine
            let coarse = Int128(pow10(4))
            shares = shares % coarse == 0 ? shares : shares / coarse * coarse  // floor to amountDecimals unless already there
            // To 6-decimal base units.
            let micros = shares * Int128(pow10(6)) / Int128(pow10(fine))
            guard let taker = Int64(exactly: micros) else { throw PolyOrderRefusal("amount \(amount.wireString) is too large") }
            return try make(maker, taker)
        }
    }

    // MARK: What the server refuses

    /// The server's rules for an order of `type`: the implied price on the tick grid within
    /// `[tick, 1 − tick]`, the amounts' precision (FAK/FOK: collateral ≤ 2 decimals, shares ≤ 4; limit:
    /// shares ≤ 2, collateral ≤ the tick's amount decimals), a size at least `minimumSize`. Throws the
    /// server's message for the first rule broken.
    public func validate(side: PolySide, type: PolyOrderType, tick: PolyTickSize, minimumSize: Dollars? = nil) throws(PolyOrderRefusal) {
        let collateral = side == .buy ? makerAmount : takerAmount
        let shares = side == .buy ? takerAmount : makerAmount
        guard shares > 0, collateral > 0 else { throw PolyOrderRefusal("order is invalid. Size (\(Self.decimal(Int64(shares)))) lower than the minimum: \(minimumSize.map { $0.wireString.trimmedDecimal } ?? "0.01")") }
        if let minimumSize, Int64(shares) < minimumSize.micros {
            throw PolyOrderRefusal("order is invalid. Size (\(Self.decimal(Int64(shares)))) lower than the minimum: \(minimumSize.wireString.trimmedDecimal)")
        }
        if type.isImmediate {
            guard makerAmount % 10_000 == 0, takerAmount % 100 == 0 else {
                throw PolyOrderRefusal("invalid amounts, the market \(side == .buy ? "buy" : "sell") orders maker amount supports a max accuracy of 2 decimals, "
                                       + "taker amount a max of 4 decimals")
            }
        } else {
            let collateralUnit = UInt64(Self.pow10(6 - tick.amountDecimals))
            let (makerUnit, takerUnit) = side == .buy ? (collateralUnit, UInt64(10_000)) : (UInt64(10_000), collateralUnit)
            guard makerAmount % makerUnit == 0, takerAmount % takerUnit == 0 else {
                throw PolyOrderRefusal("invalid amounts, the \(side == .buy ? "buy" : "sell") orders maker amount supports a max accuracy of "
                                       + "\(side == .buy ? tick.amountDecimals : 2) decimals, taker amount a max of \(side == .buy ? 2 : tick.amountDecimals) decimals")
            }
        }
        // The implied price collateral / shares must be k × tick with tick ≤ price ≤ 1 − tick.
        let numerator = Int128(collateral) * 1_000_000, denominator = Int128(shares) * Int128(tick.micros)
        let onGrid = numerator % denominator == 0
        let ticks = numerator / denominator
        guard onGrid, ticks >= 1, Int128(tick.micros) * (ticks + 1) <= 1_000_000 else {
            throw PolyOrderRefusal("order is invalid. Price (\(Self.ratio(collateral, shares))) breaks minimum tick size rule: \(tick)")
        }
    }

    /// The implied price as the venue prints it (up to 16 significant decimals, no binary float).
    static func ratio(_ collateral: UInt64, _ shares: UInt64) -> String {
        var digits = "\(collateral / shares)."
        var remainder = collateral % shares
        for _ in 0..<16 where remainder != 0 {
            remainder *= 10
            digits += String(remainder / shares)
            remainder %= shares
        }
        return digits.hasSuffix(".") ? String(digits.dropLast()) : digits
    }

    static func decimal(_ micros: Int64) -> String { Dollars(micros: micros).wireString.trimmedDecimal }

    // MARK: Integer helpers

    enum Rounding { case down, halfUp }

    static func pow10(_ n: Int) -> Int64 { (0..<n).reduce(Int64(1)) { value, _ in value * 10 } }

    /// Rounds micro-units onto `decimals` decimals (≤ 6).
    static func round(_ micros: Int64, toDecimals decimals: Int, _ rounding: Rounding) -> Int64 {
        let unit = pow10(6 - decimals)
        let remainder = micros % unit
        guard remainder != 0 else { return micros }
        let floor = micros - remainder
        switch rounding {
        case .down: return floor
        case .halfUp: return remainder * 2 >= unit ? floor + unit : floor
        }
    }

    /// `a × b / 10⁶` for micro-units, exact (callers guarantee it divides), overflow refused.
    static func product(_ a: Int64, _ b: Int64) throws(PolyOrderRefusal) -> Int64 {
        let value = Int128(a) * Int128(b) / 1_000_000
        guard let exact = Int64(exactly: value) else { throw PolyOrderRefusal("amount too large") }
        return exact
    }

    private static func make(_ maker: Int64, _ taker: Int64) throws(PolyOrderRefusal) -> PolyAmounts {
        guard maker >= 0, taker >= 0 else { throw PolyOrderRefusal("invalid amounts") }
        return PolyAmounts(makerAmount: UInt64(maker), takerAmount: UInt64(taker))
    }
}

extension String {
    /// "0.010" → "0.01", "5.00" → "5", "0.0001" unchanged.
    var trimmedDecimal: String {
        guard contains(".") else { return self }
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
