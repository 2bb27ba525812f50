import Foundation
import KalshiWire
import Markets

/// `ENVIRONMENT`: paper (demo account or simulated fills) or live (production, real money).
public enum TradingEnvironment: String, Sendable, Hashable, CaseIterable {
    case paper, live
}

/// `PAPER_FILL_MODEL`.
public enum PaperFillModel: String, Sendable, Hashable, CaseIterable {
    /// Walk the live order book at the moment the simulated latency elapses (default).
    case book
    /// The classic probabilistic model (fill 0.85, partial 0.15, slippage…).
    case random
}

/// REST and WebSocket addresses of one Kalshi venue, plus the credentials used there.
public struct KalshiVenueConfig: Sendable, CustomStringConvertible {
    public var apiURL: URL
    public var webSocketURL: URL
    public var credentials: KalshiCredentials?

    public init(apiURL: URL, webSocketURL: URL, credentials: KalshiCredentials? = nil) {
        self.apiURL = apiURL
        self.webSocketURL = webSocketURL
        self.credentials = credentials
    }

    public var isProduction: Bool { KalshiHosts.isProduction(apiURL) || KalshiHosts.isProduction(webSocketURL) }

    public var description: String {
        "\(apiURL.absoluteString) + \(webSocketURL.absoluteString), " + (credentials.map { "\($0)" } ?? "no credentials")
    }
}

/// Paper-execution settings.
public struct PaperSettings: Sendable, Hashable {
    public var fillModel: PaperFillModel = .book
    /// `PAPER_SEED`; `nil` picks a seed at start-up and logs it so the run can be reproduced.
    public var seed: UInt64?
    public var startingCash: Dollars = Dollars(micros: 10_000 * 1_000_000)
    /// `PAPER_LATENCY_MS`: how long the simulated venue takes to answer, uniform in this range (set it to
    /// the venue's measured round trip; `run-executor fidelity` calibrates it against its demo venue).
    public var latency: ClosedRange<Duration> = .milliseconds(10) ... .milliseconds(50)
    public init() {}
}

/// Where the controller listens for remote traders and what they share with it.
public struct TraderLinkSettings: Sendable {
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var description: String { "\(host):\(port)" }
        public var isLoopback: Bool { host == "127.0.0.1" || host == "localhost" || host == "::1" }
    }

    /// `TRADER_LISTEN` (`HOST:PORT`); `nil` = no trader connections (the default).
    public var listen: Address?
    /// `TRADER_SECRET` or `TRADER_SECRET_FILE`: the HMAC key both sides prove they hold (never sent).
    public var secret: TraderSecret?
    /// `LEG_ROUTING`.
    public var routing: LegRouting = .remoteFirst
    /// `TRADER_TLS_CERT` and `TRADER_TLS_KEY` (controller: serve `wss://`); `TRADER_TLS_CA` (trader: the
    /// certificate or issuer the controller's certificate is verified against).
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var tlsCA: String?
    /// `BEACON_PORT` (default 9000; 0 turns the beacon off): the UDP port the controller announces itself
    /// on and a trader without a controller URL listens on.
    public var beaconPort = 9_000
    /// `BEACON_ADDRESS`: where the controller sends its beacon (loopback unless set, e.g. a broadcast
    /// address such as 192.168.1.255).
    public var beaconAddress = "127.0.0.1"
    /// `BEACON_LISTEN`: the address a trader listens for beacons on (loopback unless set, e.g. 0.0.0.0).
    public var beaconListen = "127.0.0.1"
    public init() {}
}

/// The secret controller and traders share. Never printed: its descriptions and mirror are redacted.
public struct TraderSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let bytes: [UInt8]
    /// Fewer bytes than this are refused (a guessable secret authenticates nothing).
    public static let minimumBytes = 16

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.utf8.count >= Self.minimumBytes else { return nil }
        bytes = Array(trimmed.utf8)
    }

    public var description: String { "(trader secret, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// The trading loop's pace.
public struct LoopSettings: Sendable, Hashable {
    public var cycleInterval: Duration = .milliseconds(1_000)
    public var maxSignalsPerCycle = 3
    public init() {}
}

/// How signals are taken in.
public struct SignalIntakeSettings: Sendable, Hashable {
    /// `SIGNAL_MAX_AGE_MS`: an accepted signal older than this when its turn comes (or at a restart) is
    /// recorded as expired, never traded.
    public var maxAge: Duration = .milliseconds(5_000)
    /// `SIGNAL_INBOX_CAPACITY`: signals that may wait; beyond it new ones are refused out loud.
    public var inboxCapacity = 10_000
    /// `SIGNAL_MAX_LINE_BYTES`: a longer signal line is rejected with its number; the stream goes on.
    public var maxLineBytes = 65_536
    public init() {}
}

/// Cross-venue arbitrage.
public struct ArbitrageSettings: Sendable, Hashable {
    /// `MIN_ARB_PROFIT`: least profit per contract after both venues' fees.
    public var minProfit = Dollars(micros: 10_000)
    /// `ARB_MAX_AGE_MS`: an arb older than this when its legs would go is aborted.
    public var maxAge: Duration = .milliseconds(500)
    /// `PAIRS_FILE`: the pairs the detector watches (JSON or TOML); no detector without it.
    public var pairsFile: String?
    /// `ARB_DRY_RUN`: run every check, send nothing.
    public var dryRun = false
    /// `ARB_MAX_CONTRACTS`: most contracts the detector puts in one arb.
    public var maxContracts: Int64 = 10
    public init() {}
}

/// The admin HTTP API (status, halt/resume, metrics), bound to 127.0.0.1.
public struct AdminSettings: Sendable, Hashable {
    public var port = 8089
    public var tokenFile = "data/admin.token"
    public init() {}
}

/// The whole configuration of a run: built once from the environment, validated, then passed down.
///
/// "V3 hybrid" (`V3_HYBRID_MODE=true`) takes market data from one venue (production, `KALSHI_DATA_*`)
/// and trades on another (the demo account, `KALSHI_*`), with two credential sets. Without it, the
/// trading venue also serves the market data.
public struct V3Config: Sendable {
    public var environment: TradingEnvironment = .paper
    public var paperTrading = true
    /// `TRADING_PROFILE`: a free label shown in logs and reports.
    public var tradingProfile: String?
    public var trading: KalshiVenueConfig
    public var hybridMode = false
    /// The market-data venue: `KALSHI_DATA_*` in hybrid mode, else the trading venue.
    public var data: KalshiVenueConfig
    public var risk = RiskLimits()
    public var loop = LoopSettings()
    /// `CONTROLLER_PLATFORMS`: platforms this process may execute legs on locally.
    public var controllerPlatforms: Set<Platform> = []
    /// `WEBSOCKET_URL`: the controller a remote trader connects to.
    public var controllerURL: URL?
    /// The controller side of remote traders: `TRADER_LISTEN`, the shared secret, `LEG_ROUTING`.
    public var traders = TraderLinkSettings()

    /// A controller (`TRADER_LISTEN`) that does not execute Kalshi locally (`CONTROLLER_PLATFORMS`): its
    /// Kalshi orders all go to a trader, so it needs no Kalshi trading account of its own.
    public var kalshiRoutedOnly: Bool { traders.listen != nil && !controllerPlatforms.contains(.kalshi) }
    /// The same for Polymarket: no key or account of its own.
    public var polymarketRoutedOnly: Bool { traders.listen != nil && !controllerPlatforms.contains(.polymarket) }
    public var journalPath = "data/executor.sqlite"
    public var paper = PaperSettings()
    public var fillDetection: FillDetection = .websocket
    public var orderTimeout: Duration = .seconds(30)
    public var rateTier: KalshiRateTier = .basic
    /// `ORDER_PRESIGN_MAX_AGE_MS`: order-create signatures are made ahead and used while younger than
    /// this (nil = sign each order inline). See `Presigner`.
    public var orderPresignMaxAge: Duration? = .milliseconds(500)
    /// `POSITION_DRIFT_THRESHOLD`: largest per-market difference between journal and venue positions found
    /// at start-up that does not halt trading (contracts; 0 = any drift halts until `resume`).
    public var driftThreshold: Contracts = .zero
    /// `ORDER_ABSENT_WINDOW_SECONDS`: an order whose submit was ambiguous becomes `not_placed` only when the
    /// venue still has no such order this long after it was made (until then it stays unresolved).
    public var absentWindow: Duration = .seconds(60)
    /// `RESULT_CHECK_SECONDS`: how often a run asks the venues whether the markets it holds positions in have
    /// a result (realised at once when so). Kalshi's lifecycle feed tells sooner; this catches an event the
    /// feed missed, and is how Polymarket's resolutions are learnt during a run.
    public var resultCheckInterval: Duration = .seconds(60)
    public var signals = SignalIntakeSettings()
    public var arbitrage = ArbitrageSettings()
    public var admin = AdminSettings()
    /// The Polymarket venue, when any `POLY_*` variable is set (or the embedded default runs its simulator).
    public var polymarket: PolymarketConfig?

    /// A paper configuration on the demo hosts, no credentials: the base every parse starts from.
    public init() {
        let demo = KalshiVenueConfig(apiURL: URL(string: KalshiHosts.demoAPI)!, webSocketURL: URL(string: KalshiHosts.demoWebSocket)!)
        trading = demo
        data = demo
    }

    public var executionMode: ExecutionMode {
        switch environment {
        case .live: .live
        case .paper: paperTrading ? .paper : .demo
        }
    }

    /// Whether orders leave this process for a venue.
    public var sendsOrders: Bool { executionMode != .paper }

    /// Every variable the program reads (DESIGN.md §5). Only these are taken from the process environment.
    public static let knownVariables: [String] = [
        "ENVIRONMENT", "PAPER_TRADING", "TRADING_PROFILE",
        "KALSHI_API_URL", "KALSHI_WS_URL", "KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_CONTENT", "KALSHI_PRIVATE_KEY_PATH",
        "V3_HYBRID_MODE", "KALSHI_DATA_API_URL", "KALSHI_DATA_WS_URL", "KALSHI_DATA_API_KEY_ID",
        "KALSHI_DATA_PRIVATE_KEY_CONTENT", "KALSHI_DATA_PRIVATE_KEY_PATH",
        "MAX_POSITION_SIZE", "MAX_RISK_PER_TRADE", "MAX_DAILY_LOSS", "MAX_DAILY_TRADES", "MAX_DAILY_VOLUME",
        "MAX_POSITION_PER_EVENT", "MAX_ORDERS_PER_MINUTE", "MIN_TIME_BETWEEN_ORDERS_MS", "MAX_CONSECUTIVE_LOSSES",
        "CYCLE_INTERVAL_MS", "MAX_SIGNALS_PER_CYCLE", "CONTROLLER_PLATFORMS", "WEBSOCKET_URL",
        "JOURNAL_PATH", "PAPER_FILL_MODEL", "PAPER_SEED", "PAPER_STARTING_CASH", "PAPER_LATENCY_MS", "FILL_DETECTION",
        "ORDER_TIMEOUT_SECONDS", "KALSHI_RATE_TIER", "ORDER_PRESIGN_MAX_AGE_MS", "ADMIN_PORT", "ADMIN_TOKEN_FILE", "POSITION_DRIFT_THRESHOLD",
        "ORDER_ABSENT_WINDOW_SECONDS", "RESULT_CHECK_SECONDS", "SIGNAL_MAX_AGE_MS", "SIGNAL_INBOX_CAPACITY", "SIGNAL_MAX_LINE_BYTES",
        "MIN_ARB_PROFIT", "ARB_MAX_AGE_MS", "PAIRS_FILE", "ARB_DRY_RUN", "ARB_MAX_CONTRACTS",
        "TRADER_LISTEN", "TRADER_SECRET", "TRADER_SECRET_FILE", "LEG_ROUTING",
        "TRADER_TLS_CERT", "TRADER_TLS_KEY", "TRADER_TLS_CA", "BEACON_PORT", "BEACON_ADDRESS", "BEACON_LISTEN",
    ] + PolymarketConfig.variables

    /// Variables that choose where orders go and where data comes from. With none of them set the run uses
    /// the embedded simulator (every other variable still applies).
    public static let venueVariables: [String] = [
        "ENVIRONMENT", "PAPER_TRADING", "KALSHI_API_URL", "KALSHI_WS_URL", "KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_CONTENT",
        "KALSHI_PRIVATE_KEY_PATH", "V3_HYBRID_MODE", "KALSHI_DATA_API_URL", "KALSHI_DATA_WS_URL", "KALSHI_DATA_API_KEY_ID",
        "KALSHI_DATA_PRIVATE_KEY_CONTENT", "KALSHI_DATA_PRIVATE_KEY_PATH",
    ] + PolymarketConfig.variables

    /// Variables whose values are secret: never printed, never part of an error message.
    public static let secretVariables: Set<String> = Set(["KALSHI_PRIVATE_KEY_CONTENT", "KALSHI_DATA_PRIVATE_KEY_CONTENT", "TRADER_SECRET"])
        .union(PolymarketConfig.secretVariables)

    /// Variables printed shortened to their first four characters.
    public static let keyIDVariables: Set<String> = ["KALSHI_API_KEY_ID", "KALSHI_DATA_API_KEY_ID"]
}
