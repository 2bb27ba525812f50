/// The trader's risk limits, enforced by the circuit breaker in front of every executor.
///
/// The defaults are those of the original design: max position 100 contracts, $500.00 risk per trade,
/// $1,000.00 daily loss, 50 trades and 5,000 contracts a day, 500 contracts per event, 10 orders a minute
/// at least 100 ms apart, and a halt after 5 consecutive losses.
public struct RiskLimits: Hashable, Sendable {
    /// `MAX_POSITION_SIZE`: largest position in one market, and largest single order.
    public var maxPositionSize: Contracts
    /// `MAX_RISK_PER_TRADE`: most money one trade may put at risk.
    public var maxRiskPerTrade: Dollars
    /// `MAX_DAILY_LOSS`: realised loss in a UTC day that halts trading.
    public var maxDailyLoss: Dollars
    /// `MAX_DAILY_TRADES`: orders per UTC day.
    public var maxDailyTrades: Int
    /// `MAX_DAILY_VOLUME`: contracts traded per UTC day.
    public var maxDailyVolume: Contracts
    /// `MAX_POSITION_PER_EVENT`: contracts across all markets of one event.
    public var maxPositionPerEvent: Contracts
    /// `MAX_ORDERS_PER_MINUTE`.
    public var maxOrdersPerMinute: Int
    /// `MIN_TIME_BETWEEN_ORDERS_MS`.
    public var minTimeBetweenOrders: Duration
    /// `MAX_CONSECUTIVE_LOSSES`: losing trades in a row that open the breaker.
    public var maxConsecutiveLosses: Int

    public init(
        maxPositionSize: Contracts = Contracts(hundredths: 100 * 100),
        maxRiskPerTrade: Dollars = Dollars(micros: 500 * 1_000_000),
        maxDailyLoss: Dollars = Dollars(micros: 1_000 * 1_000_000),
        maxDailyTrades: Int = 50,
        maxDailyVolume: Contracts = Contracts(hundredths: 5_000 * 100),
        maxPositionPerEvent: Contracts = Contracts(hundredths: 500 * 100),
        maxOrdersPerMinute: Int = 10,
        minTimeBetweenOrders: Duration = .milliseconds(100),
        maxConsecutiveLosses: Int = 5
    ) {
        self.maxPositionSize = maxPositionSize
        self.maxRiskPerTrade = maxRiskPerTrade
        self.maxDailyLoss = maxDailyLoss
        self.maxDailyTrades = maxDailyTrades
        self.maxDailyVolume = maxDailyVolume
        self.maxPositionPerEvent = maxPositionPerEvent
        self.maxOrdersPerMinute = maxOrdersPerMinute
        self.minTimeBetweenOrders = minTimeBetweenOrders
        self.maxConsecutiveLosses = maxConsecutiveLosses
    }
}
