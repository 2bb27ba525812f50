import Foundation

extension V3Config: CustomStringConvertible {
    /// One-paragraph summary, safe to log: key ids shortened, private keys redacted.
    public var description: String {
        var lines = ["mode \(executionMode.rawValue) (ENVIRONMENT=\(environment.rawValue), PAPER_TRADING=\(paperTrading))"]
        lines.append("trading venue \(trading)")
        lines.append(hybridMode ? "market data (hybrid) \(data)" : "market data from the trading venue")
        lines.append("journal \(journalPath)")
        return lines.joined(separator: "; ")
    }
}

extension ConfigReport {
    /// The effective configuration as `config check` prints it: what will happen, then every variable
    /// with its value and where it came from, then warnings. Contains no secret.
    public func rendered() -> String {
        var out: [String] = []
        if isEmbeddedDefault {
            out.append("No venue configured (no ENVIRONMENT, KALSHI_* or KALSHI_DATA_* variable): run-executor will start the embedded")
            out.append("exchange simulator as both market-data and trading venue and paper-trade its synthetic signals.")
            out.append("")
        }
        let mode = switch config.executionMode {
        case .paper: "PAPER — simulated fills against the market-data book; no order leaves this process"
        case .demo: "DEMO — real orders on the Kalshi demo account (mock funds)"
        case .live: "LIVE — real orders with real money (run-executor asks you to type CONFIRM)"
        }
        out.append("Mode:         \(mode)")
        out.append("Trading:      \(venueLine(config.trading))")
        if config.hybridMode {
            out.append("Market data:  \(venueLine(config.data))  [hybrid: data and trading venues differ]")
        } else {
            out.append("Market data:  from the trading venue")
        }
        out.append("")
        let width = max(28, (settings.map(\.variable.count).max() ?? 0) + 2)
        out.append("Variable".padding(toLength: width, withPad: " ", startingAt: 0) + "Value  (source)")
        for setting in settings {
            out.append(setting.variable.padding(toLength: width, withPad: " ", startingAt: 0) + "\(setting.display)  (\(setting.origin))")
        }
        if !warnings.isEmpty {
            out.append("")
            out.append("Warnings:")
            out.append(contentsOf: warnings.map { "  - \($0)" })
        }
        return out.joined(separator: "\n")
    }

    private func venueLine(_ venue: KalshiVenueConfig) -> String {
        let kind = venue.isProduction ? "PRODUCTION" : "non-production"
        let key = venue.credentials.map { "key \($0.keyID.redacted)" } ?? "no credentials"
        return "\(venue.apiURL.absoluteString)  (\(kind), \(key))"
    }
}
