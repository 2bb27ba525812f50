import Markets

/// Where one leg of an arbitrage executes.
public enum LegRoute: Sendable, Hashable {
    /// The connected remote trader of that platform.
    case remote(Platform)
    /// This process (`CONTROLLER_PLATFORMS` authorises the platform).
    case local
}

/// The routing rule (DESIGN.md §6): per leg, a connected trader or local execution as `LEG_ROUTING`
/// orders them; a leg with neither (`nil`) means the whole arb is aborted before any leg is sent.
public enum LegRoutes {
    public static func route(_ platform: Platform, connected: Set<Platform>, local: Set<Platform>, rule: LegRouting) -> LegRoute? {
        let remote = connected.contains(platform), authorised = local.contains(platform)
        switch rule {
        case .remoteFirst: return remote ? .remote(platform) : authorised ? .local : nil
        case .localFirst: return authorised ? .local : remote ? .remote(platform) : nil
        }
    }
}
