import Markets

/// Where one leg of an arbitrage executes.
public enum LegRoute: Sendable, Hashable {
    /// The connected remote trader of that platform.
    case remote(Platform)
    /// This process (`CONTROLLER_PLATFORMS` authorises the platform).
    case local
}

/// The routing rule (DESIGN.md §6): per leg, a connected trader or local execution as `LEG_ROUTING`
/// orders them; a leg with neither means the whole arb is aborted before any leg is sent.
public enum LegRoutes {
    public static func route(_ platform: Platform, connected: Set<Platform>, local: Set<Platform>, rule: LegRouting) -> LegRoute? {
        let remote = connected.contains(platform), authorised = local.contains(platform)
        switch rule {
        case .remoteFirst: return remote ? .remote(platform) : authorised ? .local : nil
        case .localFirst: return authorised ? .local : remote ? .remote(platform) : nil
        }
    }

    /// Every leg's route, or why the arb has none (naming the first leg without a path).
    public static func plan(_ platforms: [Platform], connected: Set<Platform>, local: Set<Platform>, rule: LegRouting) -> Result<[LegRoute], NoRoute> {
        var routes: [LegRoute] = []
        for (index, platform) in platforms.enumerated() {
            guard let route = route(platform, connected: connected, local: local, rule: rule) else {
                return .failure(NoRoute(leg: index, platform: platform))
            }
            routes.append(route)
        }
        return .success(routes)
    }

    public struct NoRoute: Error, Sendable, Hashable, CustomStringConvertible {
        public let leg: Int
        public let platform: Platform
        public var description: String {
            "leg \(leg + 1) (\(platform.rawValue)) has no execution path: no \(platform.rawValue) trader connected and CONTROLLER_PLATFORMS does not authorise it"
        }
    }
}
