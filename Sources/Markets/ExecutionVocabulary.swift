/// Where orders go: shared by the configuration and the execution side.
public enum ExecutionMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// `ENVIRONMENT=paper`, `PAPER_TRADING=true`: fills simulated against the market-data book.
    case paper
    /// `ENVIRONMENT=paper`, `PAPER_TRADING=false`: real orders on the Kalshi demo account.
    case demo
    /// `ENVIRONMENT=live`: real orders with real money.
    case live
}

/// How a live executor learns about fills (`FILL_DETECTION`).
public enum FillDetection: String, Sendable, Hashable, CaseIterable {
    /// The private `fill` and `user_orders` channels (REST as a safety net).
    case websocket
    /// `GET /portfolio/orders/{id}` and `GET /portfolio/fills` every poll interval.
    case polling
}

/// Which execution path wins for a leg when both exist (`LEG_ROUTING`): a connected remote trader for its
/// platform, or local execution authorised by `CONTROLLER_PLATFORMS`.
public enum LegRouting: String, Sendable, Hashable, CaseIterable {
    /// A connected trader takes the leg; local execution only when none is connected (the default).
    case remoteFirst = "remote-first"
    /// Local execution when authorised; a trader only for platforms not authorised locally.
    case localFirst = "local-first"
}
