import Foundation
import KalshiWire
import Markets

/// A validated configuration and how it was arrived at.
public struct ConfigReport: Sendable {
    public let config: V3Config
    /// Every variable read, in order, with its effective value (secrets redacted) and origin.
    public let settings: [EffectiveSetting]
    /// Things that are allowed but worth a look (printed by `config check`, logged at start-up).
    public let warnings: [String]
    /// No variable names a venue: `run-executor` will run the embedded simulator default (the other
    /// variables set still apply to it).
    public let isEmbeddedDefault: Bool
}

extension V3Config {
    /// Builds and validates the configuration, reporting every problem at once.
    public static func load(_ environment: ConfigEnvironment) throws(ConfigError) -> ConfigReport {
        var reader = VariableReader(environment)
        var warnings: [String] = environment.warnings
        var config = V3Config()

        config.environment = reader.choice("ENVIRONMENT", default: .paper)
        let live = config.environment == .live
        config.paperTrading = reader.bool("PAPER_TRADING", default: !live)
        if live, config.paperTrading {
            reader.problem("PAPER_TRADING", "must be false (or unset) with ENVIRONMENT=live; use ENVIRONMENT=paper to paper-trade")
        }
        config.tradingProfile = reader.string("TRADING_PROFILE")

        // Trading venue.
        let defaultAPI = URL(string: live ? KalshiHosts.productionAPI : KalshiHosts.demoAPI)!
        let defaultWS = URL(string: live ? KalshiHosts.productionWebSocket : KalshiHosts.demoWebSocket)!
        config.trading.apiURL = reader.url("KALSHI_API_URL", schemes: ["https", "http"], default: defaultAPI) ?? defaultAPI
        config.trading.webSocketURL = reader.url("KALSHI_WS_URL", schemes: ["wss", "ws"], default: defaultWS) ?? defaultWS
        if !live {
            for (name, url) in [("KALSHI_API_URL", config.trading.apiURL), ("KALSHI_WS_URL", config.trading.webSocketURL)]
            where KalshiHosts.isProduction(url) {
                reader.problem(name, """
                    \(url.host ?? "") is a production trading host, refused with ENVIRONMENT=paper \
                    (trade on the demo host \(KalshiHosts.demoAPI), and take production market data with \
                    V3_HYBRID_MODE=true and KALSHI_DATA_*)
                    """)
            }
        } else if !config.trading.isProduction {
            warnings.append("ENVIRONMENT=live but the trading host \(config.trading.apiURL.host ?? "") is not a Kalshi production host")
        }

        config.hybridMode = reader.bool("V3_HYBRID_MODE", default: false)
        config.controllerPlatforms = reader.platforms("CONTROLLER_PLATFORMS")
        config.controllerURL = reader.url("WEBSOCKET_URL", schemes: ["wss", "ws"], default: nil)
        config.traders = reader.traderLink(warnings: &warnings)
        // With no configuration at all the embedded simulator is the venue and brings its own keys. A
        // controller whose Kalshi legs all go to a trader sends no Kalshi order itself.
        let sendsKalshiOrders = config.sendsOrders && !config.kalshiRoutedOnly
        let tradingNeedsKey = !environment.namesNoVenue && (sendsKalshiOrders || !config.hybridMode)
        let tradingWhy = config.sendsOrders
            ? "to send orders (\(config.executionMode.rawValue) mode)"
            : "to read market data from the trading venue (or set V3_HYBRID_MODE=true with KALSHI_DATA_*)"
        config.trading.credentials = reader.credentials(prefix: "KALSHI_", required: tradingNeedsKey, why: tradingWhy, warnings: &warnings)

        // Market-data venue.
        let dataVariables = ["KALSHI_DATA_API_URL", "KALSHI_DATA_WS_URL", "KALSHI_DATA_API_KEY_ID",
                             "KALSHI_DATA_PRIVATE_KEY_CONTENT", "KALSHI_DATA_PRIVATE_KEY_PATH"]
        if config.hybridMode {
            let why = "when V3_HYBRID_MODE=true (the production market-data venue)"
            let api = reader.url("KALSHI_DATA_API_URL", schemes: ["https", "http"], default: nil)
            if api == nil, !reader.isSet("KALSHI_DATA_API_URL") {
                reader.problem("KALSHI_DATA_API_URL", "required \(why), e.g. \(KalshiHosts.productionAPI)")
            }
            let ws = reader.url("KALSHI_DATA_WS_URL", schemes: ["wss", "ws"], default: nil)
            if ws == nil, !reader.isSet("KALSHI_DATA_WS_URL") {
                reader.problem("KALSHI_DATA_WS_URL", "required \(why), e.g. \(KalshiHosts.productionWebSocket)")
            }
            let credentials = reader.credentials(prefix: "KALSHI_DATA_", required: true, why: why, warnings: &warnings)
            if let api, let ws {
                config.data = KalshiVenueConfig(apiURL: api, webSocketURL: ws, credentials: credentials)
                if !config.data.isProduction {
                    warnings.append("V3_HYBRID_MODE=true but the market-data host \(api.host ?? "") is not a Kalshi production host")
                }
                if config.data.apiURL.host == config.trading.apiURL.host {
                    warnings.append("V3_HYBRID_MODE=true but data and trading use the same host \(api.host ?? "")")
                }
            }
        } else {
            let ignored = dataVariables.filter(reader.isSet)
            if !ignored.isEmpty {
                warnings.append("V3_HYBRID_MODE is not true, so \(ignored.joined(separator: ", ")) \(ignored.count == 1 ? "is" : "are") ignored")
            }
            config.data = config.trading
        }

        // Polymarket, when any of its variables is set.
        if PolymarketConfig.variables.contains(where: reader.isSet) {
            config.polymarket = reader.polymarket(sendsOrders: config.sendsOrders && !config.polymarketRoutedOnly, live: live, warnings: &warnings)
        }

        // Risk limits (non-negative; zero disables trading through that limit).
        let base = RiskLimits()
        config.risk = RiskLimits(
            maxPositionSize: reader.contracts("MAX_POSITION_SIZE", default: base.maxPositionSize),
            maxRiskPerTrade: reader.dollars("MAX_RISK_PER_TRADE", default: base.maxRiskPerTrade),
            maxDailyLoss: reader.dollars("MAX_DAILY_LOSS", default: base.maxDailyLoss),
            maxDailyTrades: reader.integer("MAX_DAILY_TRADES", default: base.maxDailyTrades, range: 0...1_000_000),
            maxDailyVolume: reader.contracts("MAX_DAILY_VOLUME", default: base.maxDailyVolume),
            maxPositionPerEvent: reader.contracts("MAX_POSITION_PER_EVENT", default: base.maxPositionPerEvent),
            maxOrdersPerMinute: reader.integer("MAX_ORDERS_PER_MINUTE", default: base.maxOrdersPerMinute, range: 0...1_000_000),
            minTimeBetweenOrders: .milliseconds(reader.integer("MIN_TIME_BETWEEN_ORDERS_MS", default: 100, range: 0...86_400_000, unit: " ms")),
            maxConsecutiveLosses: reader.integer("MAX_CONSECUTIVE_LOSSES", default: base.maxConsecutiveLosses, range: 0...1_000_000))

        config.loop.cycleInterval = .milliseconds(reader.integer("CYCLE_INTERVAL_MS", default: 1_000, range: 1...3_600_000, unit: " ms"))
        config.loop.maxSignalsPerCycle = reader.integer("MAX_SIGNALS_PER_CYCLE", default: 3, range: 1...100_000)

        config.journalPath = reader.string("JOURNAL_PATH") ?? {
            reader.record("JOURNAL_PATH", config.journalPath)
            return config.journalPath
        }()
        config.paper.fillModel = reader.choice("PAPER_FILL_MODEL", default: .book)
        config.paper.seed = reader.unsigned64("PAPER_SEED")
        config.paper.startingCash = reader.dollars("PAPER_STARTING_CASH", default: config.paper.startingCash)
        config.paper.latency = reader.millisecondRange("PAPER_LATENCY_MS", default: 10...50, range: 0...60_000)
        config.fillDetection = reader.choice("FILL_DETECTION", default: .websocket)
        config.orderTimeout = .seconds(reader.integer("ORDER_TIMEOUT_SECONDS", default: 30, range: 1...86_400, unit: " s"))
        config.rateTier = reader.choice("KALSHI_RATE_TIER", default: .basic)
        let presign = reader.integer("ORDER_PRESIGN_MAX_AGE_MS", default: 500, range: 0...5_000, unit: " ms")
        config.orderPresignMaxAge = presign == 0 ? nil : .milliseconds(presign)
        config.driftThreshold = reader.contracts("POSITION_DRIFT_THRESHOLD", default: .zero)
        config.absentWindow = .seconds(reader.integer("ORDER_ABSENT_WINDOW_SECONDS", default: 60, range: 1...86_400, unit: " s"))
        config.resultCheckInterval = .seconds(reader.integer("RESULT_CHECK_SECONDS", default: 60, range: 1...86_400, unit: " s"))
        config.signals.maxAge = .milliseconds(reader.integer("SIGNAL_MAX_AGE_MS", default: 5_000, range: 1...86_400_000, unit: " ms"))
        config.signals.inboxCapacity = reader.integer("SIGNAL_INBOX_CAPACITY", default: 10_000, range: 1...1_000_000)
        config.signals.maxLineBytes = reader.integer("SIGNAL_MAX_LINE_BYTES", default: 65_536, range: 256...16_777_216, unit: " bytes")
        config.arbitrage.minProfit = reader.dollars("MIN_ARB_PROFIT", default: config.arbitrage.minProfit)
        config.arbitrage.maxAge = .milliseconds(reader.integer("ARB_MAX_AGE_MS", default: 500, range: 1...60_000, unit: " ms"))
        config.arbitrage.pairsFile = reader.string("PAIRS_FILE")
        config.arbitrage.dryRun = reader.bool("ARB_DRY_RUN", default: false)
        config.arbitrage.maxContracts = Int64(reader.integer("ARB_MAX_CONTRACTS", default: 10, range: 1...100_000))
        config.admin.port = reader.integer("ADMIN_PORT", default: config.admin.port, range: 0...65_535)
        config.admin.tokenFile = reader.string("ADMIN_TOKEN_FILE") ?? {
            reader.record("ADMIN_TOKEN_FILE", config.admin.tokenFile)
            return config.admin.tokenFile
        }()

        guard reader.problems.isEmpty else { throw ConfigError(problems: reader.problems) }
        return ConfigReport(config: config, settings: reader.settings, warnings: warnings, isEmbeddedDefault: environment.namesNoVenue)
    }
}

extension VariableReader {
    /// `TRADER_LISTEN`, `TRADER_SECRET` / `TRADER_SECRET_FILE`, `LEG_ROUTING`: listening needs a secret; a
    /// listener beyond loopback is a warning (traders normally reach the controller over a tunnel or VPN).
    mutating func traderLink(warnings: inout [String]) -> TraderLinkSettings {
        var settings = TraderLinkSettings()
        settings.routing = choice("LEG_ROUTING", default: .remoteFirst)
        if let listen = raw("TRADER_LISTEN") {
            let parts = listen.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (0...65_535).contains(port) {
                settings.listen = TraderLinkSettings.Address(host: String(parts[0]), port: port)
                record("TRADER_LISTEN", listen)
                if settings.listen?.isLoopback == false, raw("TRADER_TLS_CERT") == nil {
                    warnings.append("TRADER_LISTEN=\(listen.escapingControlCharacters) listens beyond this machine; traders authenticate, but the link is plain ws:// (use a tunnel or VPN)")
                }
            } else {
                problem("TRADER_LISTEN", "\(Self.quoted(listen)) is not HOST:PORT (for example 127.0.0.1:9001; port 0…65535, 0 picks a free one)")
            }
        } else {
            record("TRADER_LISTEN", "(off)")
        }
        if let secret = secret(inline: "TRADER_SECRET", file: "TRADER_SECRET_FILE", warnings: &warnings) {
            if let parsed = TraderSecret(secret.text) { settings.secret = parsed } else {
                problem(secret.variable, "shorter than \(TraderSecret.minimumBytes) bytes (not shown): too easy to guess")
            }
        } else if settings.listen != nil, !isSet("TRADER_SECRET"), !isSet("TRADER_SECRET_FILE") {
            problem("TRADER_SECRET or TRADER_SECRET_FILE", "required with TRADER_LISTEN: traders prove they hold it before anything else")
        }
        for (name, keyPath) in [("TRADER_TLS_CERT", \TraderLinkSettings.tlsCertificate), ("TRADER_TLS_KEY", \.tlsKey), ("TRADER_TLS_CA", \.tlsCA)] {
            guard let file = raw(name) else { record(name, "(unset)"); continue }
            let expanded = (file as NSString).expandingTildeInPath
            guard FileManager.default.isReadableFile(atPath: expanded) else { problem(name, "\(file.escapingControlCharacters): no such file, or not readable"); continue }
            settings[keyPath: keyPath] = expanded
            record(name, Self.displayable(file))
        }
        if (settings.tlsCertificate == nil) != (settings.tlsKey == nil) {
            problem(settings.tlsCertificate == nil ? "TRADER_TLS_CERT" : "TRADER_TLS_KEY", "TRADER_TLS_CERT and TRADER_TLS_KEY go together (wss:// needs both)")
        }
        settings.beaconPort = integer("BEACON_PORT", default: settings.beaconPort, range: 0...65_535)
        for (name, keyPath) in [("BEACON_ADDRESS", \TraderLinkSettings.beaconAddress), ("BEACON_LISTEN", \.beaconListen)] {
            guard let value = raw(name) else { record(name, settings[keyPath: keyPath]); continue }
            guard Self.isIPv4(value) else { problem(name, "\(Self.quoted(value)) is not an IPv4 address (for example 127.0.0.1 or 192.168.1.255)"); continue }
            settings[keyPath: keyPath] = value
            record(name, value)
        }
        return settings
    }

    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in part.count <= 3 && UInt8(part) != nil }
    }

    /// `CONTROLLER_PLATFORMS`: comma-separated `kalshi`, `polymarket`/`poly`, any case, spaces allowed.
    /// Every unknown word is reported; none is silently dropped.
    mutating func platforms(_ name: String) -> Set<Platform> {
        guard let value = raw(name) else { record(name, "(none)"); return [] }
        var platforms: Set<Platform> = []
        var unknown: [String] = []
        for word in value.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = word.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if let platform = Platform(word: trimmed) { platforms.insert(platform) } else { unknown.append(trimmed) }
        }
        if !unknown.isEmpty {
            problem(name, "unknown platform\(unknown.count == 1 ? "" : "s") \(unknown.map(Self.quoted).joined(separator: ", ")) (known: kalshi, polymarket, poly)")
        }
        record(name, platforms.map(\.rawValue).sorted().joined(separator: ","))
        return platforms
    }

    /// Reads `<prefix>API_KEY_ID` and `<prefix>PRIVATE_KEY_CONTENT` or `<prefix>PRIVATE_KEY_PATH`.
    /// Messages never include the key material or more than four characters of the key id.
    mutating func credentials(prefix: String, required: Bool, why: String, warnings: inout [String]) -> KalshiCredentials? {
        let idName = prefix + "API_KEY_ID"
        let contentName = prefix + "PRIVATE_KEY_CONTENT"
        let pathName = prefix + "PRIVATE_KEY_PATH"
        let rawID = raw(idName)
        let content = raw(contentName)
        let path = raw(pathName)
        let keyID = rawID.flatMap(KalshiKeyID.init)
        record(idName, keyID?.redacted ?? (rawID == nil ? "(unset)" : "(invalid)"))
        record(contentName, content == nil ? "(unset)" : "(set, redacted)")
        record(pathName, path ?? "(unset)")

        if rawID != nil, keyID == nil {
            problem(idName, "is not a valid key id (it must not contain spaces or line breaks)")
        }

        var key: KalshiPrivateKey?
        if content != nil, path != nil {
            problem(contentName, "set either \(contentName) or \(pathName), not both")
        } else if let content {
            do { key = try KalshiPrivateKey(pem: content) } catch { problem(contentName, error.description) }
        } else if let path {
            key = loadKeyFile(pathName, path: path, warnings: &warnings)
        }

        let keyGiven = content != nil || path != nil
        if rawID == nil, required || keyGiven {
            problem(idName, keyGiven ? "missing: a private key is set without its key id" : "required \(why)")
        }
        if !keyGiven, required || rawID != nil {
            problem("\(contentName) or \(pathName)", rawID != nil && !required ? "missing: \(idName) is set without its private key" : "required \(why)")
        }
        guard let keyID, let key else { return nil }
        return KalshiCredentials(keyID: keyID, privateKey: key)
    }

    private mutating func loadKeyFile(_ name: String, path: String, warnings: inout [String]) -> KalshiPrivateKey? {
        if Self.looksLikeKeyMaterial(path) {
            let content = name.replacingOccurrences(of: "_PATH", with: "_CONTENT")
            problem(name, "holds what looks like the key itself, not a file path (not shown); put the PEM in \(content) or its path here")
            return nil
        }
        let shown = path.escapingControlCharacters
        let expanded = (path as NSString).expandingTildeInPath
        guard FileManager.default.fileExists(atPath: expanded) else {
            problem(name, "\(shown): no such file")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: expanded), let pem = String(data: data, encoding: .utf8) else {
            problem(name, "\(shown): cannot be read as text")
            return nil
        }
        if let permissions = (try? FileManager.default.attributesOfItem(atPath: expanded))?[.posixPermissions] as? Int,
           permissions & 0o077 != 0 {
            warnings.append("\(name): \(shown) is readable by other users (mode \(String(permissions, radix: 8))); chmod 600 it")
        }
        do {
            return try KalshiPrivateKey(pem: pem)
        } catch {
            problem(name, "\(shown): \(error.description)")
            return nil
        }
    }
}
