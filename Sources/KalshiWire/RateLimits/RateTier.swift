/// Kalshi API usage tiers and their per-second token budgets on the event-contract lane
/// (kalshi.md §4). A request costs 10 tokens by default; cancels and single-order reads cost 2.
public enum KalshiRateTier: String, Sendable, Hashable, CaseIterable, Codable {
    case basic, advanced, expert, premier, paragon, prime, prestige

    /// Read-bucket refill, tokens per second.
    public var readTokensPerSecond: Int {
        switch self {
        case .basic: 200
        case .advanced: 300
        case .expert: 600
        case .premier: 1_200
        case .paragon: 2_400
        case .prime: 4_800
        case .prestige: 12_000
        }
    }

    /// Write-bucket refill, tokens per second.
    public var writeTokensPerSecond: Int {
        switch self {
        case .basic: 100
        case .advanced: 300
        case .expert: 600
        case .premier: 1_200
        case .paragon: 2_400
        case .prime: 4_800
        case .prestige: 9_600
        }
    }
}
