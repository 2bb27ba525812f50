import Config
import Foundation
import KalshiWire
import Markets

/// # Coordinator
///
/// Wires a run from a `V3Config`: the data client first, then the trading client, then the services
/// (discovery, prices, lifecycle, signals, execution, reconciliation, admin). `RunPlan` is the decision
/// of what a run will connect to and in which mode, made once from the configuration and logged.

/// Which venues a run uses and how it executes, decided once from the configuration.
public struct RunPlan: Sendable {
    public enum Venue: Sendable, Hashable {
        /// The in-process exchange simulator (no configuration at all).
        case embeddedSimulator
        case kalshi(api: URL, webSocket: URL, production: Bool)
    }

    public let mode: ExecutionMode
    public let data: Venue
    public let trading: Venue
    public let hybrid: Bool
    /// Lines to log at start-up, in order; never contain a secret.
    public let startupNotices: [String]

    public init(report: ConfigReport) {
        let config = report.config
        mode = config.executionMode
        hybrid = config.hybridMode
        if report.isEmbeddedDefault {
            data = .embeddedSimulator
            trading = .embeddedSimulator
            startupNotices = ["No configuration: using the embedded exchange simulator for market data and paper trading."]
            return
        }
        func venue(_ v: KalshiVenueConfig) -> Venue { .kalshi(api: v.apiURL, webSocket: v.webSocketURL, production: v.isProduction) }
        data = venue(config.data)
        trading = venue(config.trading)

        var notices: [String] = []
        switch mode {
        case .paper:
            notices.append("PAPER mode: fills are simulated (\(config.paper.fillModel.rawValue) model); no order leaves this process.")
        case .demo:
            notices.append("DEMO mode: real orders on \(config.trading.apiURL.host ?? "the demo host") with mock funds.")
        case .live:
            notices.append("LIVE mode: real orders with REAL MONEY on \(config.trading.apiURL.host ?? "production").")
        }
        if config.hybridMode {
            notices.append(
                "HYBRID: market data from \(config.data.apiURL.host ?? "?") (\(config.data.isProduction ? "production" : "non-production")), "
                    + "orders on \(config.trading.apiURL.host ?? "?") (\(config.trading.isProduction ? "production" : "non-production")). "
                    + "Prices are production's; demo fills can differ, and the divergence is recorded per fill.")
        }
        notices.append(contentsOf: report.warnings.map { "warning: \($0)" })
        startupNotices = notices
    }
}

/// The run's lifecycle (DESIGN.md §2): startup → connecting data → connecting trading → syncing →
/// ready ⇄ acting; error with recovery; shutdown.
public enum RunState: Hashable, Sendable {
    case startup
    case connectingData
    case connectingTrading
    case syncing
    case ready
    case acting
    case error(String)
    case shuttingDown
    case stopped

    /// Whether `self → next` is a legal step.
    public func allows(_ next: RunState) -> Bool {
        switch (self, next) {
        case (.startup, .connectingData), (.connectingData, .connectingTrading), (.connectingTrading, .syncing),
             (.syncing, .ready), (.ready, .acting), (.acting, .ready):
            true
        case (.error, .connectingData), (.error, .syncing):
            true  // recovery
        case (.stopped, _), (.shuttingDown, .shuttingDown):
            false
        case (_, .error), (_, .shuttingDown), (.shuttingDown, .stopped):
            true
        default:
            false
        }
    }
}
