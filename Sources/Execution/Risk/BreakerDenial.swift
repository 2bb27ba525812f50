/// Why the circuit breaker refused an order: a stable code plus `key=value` context, e.g.
/// `POSITION_SIZE_EXCEEDS_LIMIT: contracts=150.00 limit=100.00`. Distinct from venue rejections.
/// Equality is on the code.
public struct BreakerDenial: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        private init(_ description: String) { self.description = description }

        public static let manualHalt = Code("MANUAL_HALT")
        public static let breakerOpen = Code("BREAKER_OPEN")
        public static let halfOpenTrialInFlight = Code("HALF_OPEN_TRIAL_IN_FLIGHT")
        public static let marketBlacklisted = Code("MARKET_BLACKLISTED")
        public static let positionSizeExceedsLimit = Code("POSITION_SIZE_EXCEEDS_LIMIT")
        public static let riskPerTradeExceedsLimit = Code("RISK_PER_TRADE_EXCEEDS_LIMIT")
        public static let dailyLossLimitReached = Code("DAILY_LOSS_LIMIT_REACHED")
        public static let dailyTradeLimitReached = Code("DAILY_TRADE_LIMIT_REACHED")
        public static let dailyVolumeExceedsLimit = Code("DAILY_VOLUME_EXCEEDS_LIMIT")
        public static let marketPositionExceedsLimit = Code("MARKET_POSITION_EXCEEDS_LIMIT")
        public static let eventPositionExceedsLimit = Code("EVENT_POSITION_EXCEEDS_LIMIT")
        public static let totalPositionExceedsLimit = Code("TOTAL_POSITION_EXCEEDS_LIMIT")
        public static let orderRateExceeded = Code("ORDER_RATE_EXCEEDED")
        public static let minimumGapNotElapsed = Code("MIN_TIME_BETWEEN_ORDERS")
        public static let consecutiveLossesReached = Code("CONSECUTIVE_LOSSES_REACHED")
    }

    public let code: Code
    /// `key=value` pairs, in order.
    public let context: [(key: String, value: String)]

    public init(_ code: Code, _ context: [(key: String, value: String)]) {
        self.code = code
        self.context = context
    }

    public var description: String {
        context.isEmpty ? code.description : "\(code): " + context.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
