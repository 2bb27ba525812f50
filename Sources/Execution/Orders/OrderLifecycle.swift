import Markets

/// One execution of part of an order, as reported by the venue (or the paper model).
public struct ExecutionFill: Hashable, Sendable {
    /// Venue fill id (Kalshi `fill_id` = `trade_id`); the de-duplication key.
    public let fillID: String
    public let count: Contracts
    /// Price of the traded outcome.
    public let price: Price
    public let fee: Dollars
    public let role: LiquidityRole
    /// Nanoseconds since the Unix epoch.
    public let timestampNanoseconds: Int64

    public init(fillID: String, count: Contracts, price: Price, fee: Dollars, role: LiquidityRole, timestampNanoseconds: Int64) {
        self.fillID = fillID
        self.count = count
        self.price = price
        self.fee = fee
        self.role = role
        self.timestampNanoseconds = timestampNanoseconds
    }
}

extension ExecutionFill {
    /// A Kalshi fill (WebSocket `fill` or REST), read for an order of `side`: Kalshi reports the YES price.
    public init?(venueFillID fillID: String, count: Contracts, yesPrice: Dollars, fee: Dollars, isTaker: Bool, side: OutcomeSide,
                 timestampNanoseconds: Int64) {
        guard let yes = Price(yesPrice) else { return nil }
        self.init(fillID: fillID, count: count, price: yes.of(side), fee: fee, role: isTaker ? .taker : .maker, timestampNanoseconds: timestampNanoseconds)
    }
}

/// A state change the order cannot make. Equality is on the code.
public struct OrderTransitionError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }
        public static let illegalTransition = Code("ILLEGAL_TRANSITION")
        /// A fill would take the order beyond its quantity: halt and investigate.
        public static let overfill = Code("OVERFILL")
        public static let invalidFill = Code("INVALID_FILL")
    }

    public let code: Code
    public let context: String

    public var description: String { "\(code): \(context)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// What applying a fill did.
public enum FillOutcome: Hashable, Sendable {
    case applied
    /// Already applied (the same fill seen on the WebSocket and from REST): ignored.
    case duplicate
}

/// An order's state, quantities and fills, changed only through legal transitions.
public struct OrderLifecycle: Hashable, Sendable {
    public let clientOrderID: String
    public let requested: Contracts
    public private(set) var state: OrderState = .pending
    public private(set) var filled: Contracts = .zero
    public private(set) var fills: [ExecutionFill] = []
    public private(set) var venueOrderID: String?
    /// Set while the order's outcome is unknown (a submit without an answer, or an order the executor
    /// stopped following before the venue's word on it was complete); cleared by any definitive answer.
    public private(set) var isAmbiguous = false
    public private(set) var rejectionCode: String?

    public init(clientOrderID: String, requested: Contracts) {
        self.clientOrderID = clientOrderID
        self.requested = requested
    }

    /// Requested minus filled (fills never exceed the request, so this never overflows).
    public var remaining: Contracts { (try? requested - filled) ?? .zero }

    /// Total paid (or received) for the fills, rounded onto micro-dollars against the trader.
    public func notional(rounding direction: RoundingDirection = .up) throws(ArithmeticOverflowError) -> Dollars {
        var total = Dollars.zero
        for fill in fills { total = try total.adding(fill.price.notional(fill.count, rounding: direction)) }
        return total
    }

    private mutating func move(to next: OrderState, _ why: String) throws(OrderTransitionError) {
        guard state.allows(next) else {
            throw OrderTransitionError(code: .illegalTransition, context: "order=\(clientOrderID) from=\(state.rawValue) to=\(next.rawValue) on=\(why)")
        }
        state = next
    }

    /// The request is about to leave the process.
    public mutating func markSubmitted() throws(OrderTransitionError) { try move(to: .submitted, "submit") }

    /// The submit's outcome is unknown (timeout, dropped connection, 5xx after sending).
    public mutating func markAmbiguous() throws(OrderTransitionError) {
        try move(to: .submitted, "ambiguous")
        isAmbiguous = true
    }

    /// The venue accepted the order; `resting` when nothing filled and it rests on the book.
    public mutating func acknowledge(venueOrderID: String) throws(OrderTransitionError) {
        self.venueOrderID = venueOrderID
        isAmbiguous = false
        if state == .submitted, filled == .zero { try move(to: .resting, "acknowledge") }
    }

    /// Applies a fill once; a repeat of the same fill id is a no-op; an overfill is an error and is
    /// not applied.
    @discardableResult
    public mutating func apply(_ fill: ExecutionFill) throws(OrderTransitionError) -> FillOutcome {
        if fills.contains(where: { $0.fillID == fill.fillID }) { return .duplicate }
        guard fill.count.isPositive else {
            throw OrderTransitionError(code: .invalidFill, context: "order=\(clientOrderID) fill=\(fill.fillID) count=\(fill.count.wireString)")
        }
        guard let total = try? filled + fill.count, total <= requested else {
            let total = filled.addingSaturated(fill.count)
            throw OrderTransitionError(code: .overfill, context: "order=\(clientOrderID) fill=\(fill.fillID) filled=\(total.wireString) requested=\(requested.wireString)")
        }
        let next: OrderState = if total == requested { .filled }
            else if state == .canceled || state == .expired { state }
            else { .partiallyFilled }
        try move(to: next, "fill \(fill.fillID)")
        filled = total
        fills.append(fill)
        isAmbiguous = false
        return .applied
    }

    /// The rest of the order was cancelled (by us, by IOC/FOK semantics, or by the venue).
    public mutating func cancel() throws(OrderTransitionError) {
        try move(to: .canceled, "cancel")
        isAmbiguous = false
    }

    /// A definitive refusal, with the venue's (or our) code passed through unchanged.
    public mutating func reject(code: String) throws(OrderTransitionError) {
        try move(to: .rejected, "reject \(code)")
        rejectionCode = code
        isAmbiguous = false
    }

    /// The venue never had the order (definitive evidence: absent for the whole window); `code` says how
    /// we know (`NOT_SENT`, `NOT_FOUND_ON_VENUE`).
    public mutating func markNotPlaced(code: String) throws(OrderTransitionError) {
        try move(to: .notPlaced, "not placed \(code)")
        rejectionCode = code
        isAmbiguous = false
    }

    /// The executor stops following the order without the venue's final word on it (the venue counts
    /// fills it has not shown yet, or could not be asked): nothing is concluded from what was read, and
    /// the order stays open, its outcome unknown, until the venue tells. A final order is left as it is.
    public mutating func markOutcomeUnknown() {
        if !state.isTerminal { isAmbiguous = true }
    }

    public mutating func expire() throws(OrderTransitionError) {
        try move(to: .expired, "expire")
        isAmbiguous = false
    }
}
