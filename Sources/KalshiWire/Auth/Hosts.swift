import Foundation

/// Kalshi's known hosts (kalshi.md §1) and which of them move real money.
public enum KalshiHosts {
    /// Production REST, recommended.
    public static let productionAPI = "https://external-api.kalshi.com/trade-api/v2"
    /// Production WebSocket, recommended.
    public static let productionWebSocket = "wss://external-api-ws.kalshi.com/trade-api/ws/v2"
    /// Demo REST, recommended (mock funds).
    public static let demoAPI = "https://external-api.demo.kalshi.co/trade-api/v2"
    /// Demo WebSocket, recommended.
    public static let demoWebSocket = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2"

    /// Hosts whose orders trade real money: the current production hosts, the shared elections host and
    /// the legacy `trading-api` host.
    public static let productionHostnames: Set<String> = [
        "external-api.kalshi.com", "external-api-ws.kalshi.com", "api.elections.kalshi.com", "trading-api.kalshi.com",
    ]

    /// Whether `url` points at a production Kalshi host (case-insensitive, ignoring a trailing dot).
    public static func isProduction(_ url: URL) -> Bool {
        guard var host = url.host?.lowercased() else { return false }
        if host.hasSuffix(".") { host.removeLast() }
        return productionHostnames.contains(host)
    }
}
