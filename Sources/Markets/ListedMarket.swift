/// A market as the run's checks and orders need it, whatever its venue.
public struct ListedMarket: Sendable, Hashable {
    public var platform: Platform
    /// The instrument orders and positions are kept under (a Kalshi ticker; a Polymarket market's YES token).
    public var ticker: String
    /// What per-event limits group by (a Kalshi event; a Polymarket condition).
    public var eventTicker: String
    public var isOpen: Bool
    public var status: String
    public var grid: PriceGrid
    public var fees: FeeSchedule
    /// The name given was the market's other outcome (a Polymarket NO token): its YES is this market's NO.
    public var sideFlipped: Bool
    /// The venue's smallest order, in contracts (Polymarket's per-market minimum size), when it has one.
    public var minimumSize: Contracts?

    public init(platform: Platform, ticker: String, eventTicker: String, isOpen: Bool, status: String, grid: PriceGrid, fees: FeeSchedule,
                sideFlipped: Bool = false, minimumSize: Contracts? = nil) {
        self.platform = platform
        self.ticker = ticker
        self.eventTicker = eventTicker
        self.isOpen = isOpen
        self.status = status
        self.grid = grid
        self.fees = fees
        self.sideFlipped = sideFlipped
        self.minimumSize = minimumSize
    }
}
