import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
@testable import Config

/// Builds a configuration from literal variables, as if read from a file.
func load(_ values: [String: String]) throws(ConfigError) -> ConfigReport {
    try V3Config.load(ConfigEnvironment(values: values, origins: values.mapValues { _ in .file("test.env") }))
}

/// `values` plus valid demo trading credentials, for tests about something else.
func keyed(_ values: [String: String]) -> [String: String] {
    Keys.demo.merging(values) { _, new in new }
}

func problems(_ values: [String: String]) -> [ConfigProblem] {
    do {
        _ = try load(values)
        return []
    } catch {
        return error.problems
    }
}

enum Keys {
    static let vectors = try! AuthVectors.load()
    static let demo = ["KALSHI_API_KEY_ID": "demo-1234-5678", "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem]
    static let data = [
        "KALSHI_DATA_API_URL": KalshiHosts.productionAPI, "KALSHI_DATA_WS_URL": KalshiHosts.productionWebSocket,
        "KALSHI_DATA_API_KEY_ID": "prod-9876-5432", "KALSHI_DATA_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs8_pem,
    ]
}

@Suite("V3Config: typed values, defaults and validation")
struct V3ConfigTests {
    @Test("no configuration at all is the embedded default and valid")
    func embeddedDefault() throws {
        let report = try load([:])
        #expect(report.isEmbeddedDefault)
        #expect(report.config.executionMode == .paper)
        #expect(report.config.risk == RiskLimits())
        #expect(report.config.loop.cycleInterval == .milliseconds(1_000))
        #expect(report.config.loop.maxSignalsPerCycle == 3)
        #expect(report.config.paper.startingCash == (try Dollars(parsing: "10000")))
        #expect(report.config.trading.apiURL.absoluteString == KalshiHosts.demoAPI)
        #expect(report.config.journalPath == "data/executor.sqlite")
        #expect(report.config.orderTimeout == .seconds(30))
    }

    @Test("a complete hybrid configuration: production data, demo orders, two credential sets")
    func hybrid() throws {
        let report = try load(["ENVIRONMENT": "paper", "PAPER_TRADING": "false", "V3_HYBRID_MODE": "true"]
            .merging(Keys.demo) { a, _ in a }.merging(Keys.data) { a, _ in a })
        let config = report.config
        #expect(config.executionMode == .demo)
        #expect(config.hybridMode)
        #expect(!config.trading.isProduction)
        #expect(config.data.isProduction)
        #expect(config.trading.credentials?.keyID.rawValue == "demo-1234-5678")
        #expect(config.data.credentials?.keyID.rawValue == "prod-9876-5432")
        #expect(report.warnings.isEmpty)
    }

    @Test("hybrid mode names every missing KALSHI_DATA_* value")
    func hybridMissing() {
        let found = problems(["V3_HYBRID_MODE": "true", "PAPER_TRADING": "true"]).map(\.variable)
        #expect(found == [
            "KALSHI_DATA_API_URL", "KALSHI_DATA_WS_URL", "KALSHI_DATA_API_KEY_ID",
            "KALSHI_DATA_PRIVATE_KEY_CONTENT or KALSHI_DATA_PRIVATE_KEY_PATH",
        ])
        let partial = problems(["V3_HYBRID_MODE": "true", "KALSHI_DATA_API_URL": KalshiHosts.productionAPI,
                                "KALSHI_DATA_API_KEY_ID": "abcd-1"]).map(\.variable)
        #expect(partial == ["KALSHI_DATA_WS_URL", "KALSHI_DATA_PRIVATE_KEY_CONTENT or KALSHI_DATA_PRIVATE_KEY_PATH"])
    }

    @Test("paper mode refuses a production trading host", arguments: [
        ("KALSHI_API_URL", "https://external-api.kalshi.com/trade-api/v2"),
        ("KALSHI_API_URL", "https://api.elections.kalshi.com/trade-api/v2"),
        ("KALSHI_WS_URL", "wss://api.elections.kalshi.com/trade-api/ws/v2"),
        ("KALSHI_WS_URL", "wss://external-api-ws.kalshi.com/trade-api/ws/v2"),
    ])
    func paperRefusesProduction(variable: String, url: String) {
        let found = problems(["ENVIRONMENT": "paper", variable: url].merging(Keys.demo) { a, _ in a })
        #expect(found.map(\.variable) == [variable])
        #expect(found.first?.message.contains("production") == true)
    }

    @Test("live mode on production hosts is valid; PAPER_TRADING=true with live is not")
    func live() throws {
        let report = try load(["ENVIRONMENT": "live"].merging(Keys.demo) { a, _ in a })
        #expect(report.config.executionMode == .live)
        #expect(report.config.trading.isProduction)
        #expect(problems(["ENVIRONMENT": "live", "PAPER_TRADING": "true"].merging(Keys.demo) { a, _ in a }).map(\.variable) == ["PAPER_TRADING"])
    }

    @Test("CONTROLLER_PLATFORMS: known words in any case with spaces; unknown words are errors")
    func platforms() throws {
        #expect(try load(keyed(["CONTROLLER_PLATFORMS": " Kalshi , POLY,"])).config.controllerPlatforms == [.kalshi, .polymarket])
        #expect(try load(keyed(["CONTROLLER_PLATFORMS": "polymarket"])).config.controllerPlatforms == [.polymarket])
        let found = problems(keyed(["CONTROLLER_PLATFORMS": "kalshi, binance, ftx"]))
        #expect(found.map(\.variable) == ["CONTROLLER_PLATFORMS"])
        #expect(found.first?.message.contains("\"binance\"") == true)
        #expect(found.first?.message.contains("\"ftx\"") == true)
    }

    @Test("limits parse into fixed-point and whole numbers")
    func limits() throws {
        let risk = try load(keyed([
            "MAX_POSITION_SIZE": "150", "MAX_RISK_PER_TRADE": "250.50", "MAX_DAILY_LOSS": "$75",
            "MIN_TIME_BETWEEN_ORDERS_MS": "0", "MAX_DAILY_VOLUME": "12.5",
        ])).config.risk
        #expect(risk.maxPositionSize == (try Contracts.whole(150)))
        #expect(risk.maxRiskPerTrade == (try Dollars(parsing: "250.50")))
        #expect(risk.maxDailyLoss == (try Dollars(parsing: "75")))
        #expect(risk.minTimeBetweenOrders == .zero)
        #expect(risk.maxDailyVolume == (try Contracts(parsing: "12.50")))
    }

    @Test("every problem is reported at once, each naming its variable")
    func allProblemsAtOnce() {
        let found = problems([
            "ENVIRONMENT": "staging", "PAPER_TRADING": "maybe", "MAX_POSITION_SIZE": "-5", "MAX_RISK_PER_TRADE": "lots",
            "MAX_DAILY_LOSS": "-1", "MAX_DAILY_TRADES": "1.5", "MAX_ORDERS_PER_MINUTE": "-3", "CYCLE_INTERVAL_MS": "0",
            "MAX_SIGNALS_PER_CYCLE": "x", "CONTROLLER_PLATFORMS": "kraken", "WEBSOCKET_URL": "http://x",
            "PAPER_FILL_MODEL": "magic", "PAPER_SEED": "-1", "FILL_DETECTION": "psychic", "KALSHI_RATE_TIER": "gold",
            "ADMIN_PORT": "70000", "KALSHI_API_URL": "not a url", "ORDER_TIMEOUT_SECONDS": "1e3",
            "KALSHI_API_KEY_ID": "abcd-1", "KALSHI_PRIVATE_KEY_CONTENT": "garbage", "POSITION_DRIFT_THRESHOLD": "-2",
        ]).map(\.variable)
        #expect(Set(found) == [
            "ENVIRONMENT", "PAPER_TRADING", "MAX_POSITION_SIZE", "MAX_RISK_PER_TRADE", "MAX_DAILY_LOSS",
            "MAX_DAILY_TRADES", "MAX_ORDERS_PER_MINUTE", "CYCLE_INTERVAL_MS", "MAX_SIGNALS_PER_CYCLE",
            "CONTROLLER_PLATFORMS", "WEBSOCKET_URL", "PAPER_FILL_MODEL", "PAPER_SEED", "FILL_DETECTION",
            "KALSHI_RATE_TIER", "ADMIN_PORT", "KALSHI_API_URL", "ORDER_TIMEOUT_SECONDS", "KALSHI_PRIVATE_KEY_CONTENT",
            "POSITION_DRIFT_THRESHOLD",
        ])
        #expect(found.count == 20)
    }

    @Test("PAPER_LATENCY_MS takes one value or a range of milliseconds; anything else is a problem naming it", arguments: [
        ("5", nil), ("1-3", nil), ("10 - 50", nil), ("50-10", "the first not above the second"), ("fast", "is not milliseconds"),
        ("1-2-3", "is not milliseconds"), ("-5", "is not milliseconds"), ("70000", "out of range"),
    ] as [(String, String?)])
    func paperLatency(value: String, phrase: String?) {
        let found = problems(keyed(["PAPER_LATENCY_MS": value]))
        if let phrase {
            #expect(found.count == 1 && found.first?.variable == "PAPER_LATENCY_MS" && found.first?.message.contains(phrase) == true, "\(found)")
        } else {
            #expect(found.isEmpty, "\(found)")
        }
    }

    @Test("TRADER_LISTEN needs a shared secret; the secret is at least 16 bytes, one of TRADER_SECRET or TRADER_SECRET_FILE, never shown; LEG_ROUTING is one of two words")
    func traderLink() throws {
        let listening = problems(keyed(["TRADER_LISTEN": "127.0.0.1:9001"]))
        #expect(listening.map(\.variable) == ["TRADER_SECRET or TRADER_SECRET_FILE"])
        #expect(problems(keyed(["TRADER_LISTEN": "9001"])).first?.message.contains("is not HOST:PORT") == true)
        #expect(problems(keyed(["TRADER_LISTEN": "127.0.0.1:70000", "TRADER_SECRET": String(repeating: "s", count: 20)])).map(\.variable) == ["TRADER_LISTEN"])
        let short = problems(keyed(["TRADER_SECRET": "hunter2"]))
        #expect(short.first?.variable == "TRADER_SECRET" && short.first?.message.contains("hunter2") == false)
        // A secret pasted into the file variable is refused without being echoed as a "file name".
        let pasted = String(repeating: "ab", count: 32)
        let misplaced = problems(keyed(["TRADER_SECRET_FILE": pasted]))
        #expect(misplaced.first?.variable == "TRADER_SECRET_FILE" && misplaced.first?.message.contains(pasted) == false, "\(misplaced)")
        #expect(problems(keyed(["LEG_ROUTING": "random"])).first?.message.contains("remote-first, local-first") == true)
        let report = try load(keyed(["TRADER_LISTEN": "127.0.0.1:9001", "TRADER_SECRET": "a shared secret of enough length", "LEG_ROUTING": "local-first"]))
        #expect(report.config.traders.listen?.port == 9001 && report.config.traders.routing == .localFirst)
        #expect(report.config.traders.secret?.bytes.count == 32)
        #expect(!"\(report.config.traders.secret as Any)".contains("shared secret"))
        #expect(!report.settings.map { "\($0)" }.joined().contains("a shared secret of enough length"), "redacted in the report")
    }

    @Test("negative and non-numeric limits say so", arguments: [
        ("MAX_POSITION_SIZE", "-5", "negative"), ("MAX_DAILY_TRADES", "-1", "negative"),
        ("MAX_RISK_PER_TRADE", "abc", "not a dollar amount"), ("MAX_CONSECUTIVE_LOSSES", "five", "not a whole number"),
        ("MAX_DAILY_VOLUME", "1e3", "not a number of contracts"),
    ])
    func limitMessages(variable: String, value: String, phrase: String) {
        let found = problems(keyed([variable: value]))
        #expect(found.count == 1)
        #expect(found.first?.variable == variable)
        #expect(found.first?.message.contains(phrase) == true, "\(found)")
    }

    @Test("private keys: PKCS#1 and PKCS#8 accepted; anything else refused; path or content, not both")
    func privateKeys() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pkcs8 = try dir.write("key.pem", Keys.vectors.private_key_pkcs8_pem)
        #expect(try load(["KALSHI_API_KEY_ID": "abcd-1", "KALSHI_PRIVATE_KEY_PATH": pkcs8]).config.trading.credentials != nil)
        #expect(try load(Keys.demo).config.trading.credentials != nil)

        let ed25519 = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----"
        #expect(problems(["KALSHI_API_KEY_ID": "abcd-1", "KALSHI_PRIVATE_KEY_CONTENT": ed25519]).map(\.variable) == ["KALSHI_PRIVATE_KEY_CONTENT"])
        #expect(problems(["KALSHI_API_KEY_ID": "abcd-1", "KALSHI_PRIVATE_KEY_CONTENT": Keys.vectors.public_key_pem]).map(\.variable) == ["KALSHI_PRIVATE_KEY_CONTENT"])
        let missing = problems(["KALSHI_API_KEY_ID": "abcd-1", "KALSHI_PRIVATE_KEY_PATH": "/nonexistent/key.pem"])
        #expect(missing.map(\.variable) == ["KALSHI_PRIVATE_KEY_PATH"])
        #expect(missing.first?.message.contains("/nonexistent/key.pem") == true)
        #expect(problems(Keys.demo.merging(["KALSHI_PRIVATE_KEY_PATH": pkcs8]) { a, _ in a }).map(\.variable) == ["KALSHI_PRIVATE_KEY_CONTENT"])
        #expect(problems(["KALSHI_PRIVATE_KEY_PATH": pkcs8]).map(\.variable) == ["KALSHI_API_KEY_ID"])
    }

    @Test("configured runs need trading credentials unless paper-trading on a hybrid data venue")
    func credentialRequirements() throws {
        #expect(problems(["ENVIRONMENT": "paper"]).map(\.variable) == ["KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_CONTENT or KALSHI_PRIVATE_KEY_PATH"])
        #expect(problems(["PAPER_TRADING": "false", "V3_HYBRID_MODE": "true"].merging(Keys.data) { a, _ in a }).map(\.variable)
            == ["KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_CONTENT or KALSHI_PRIVATE_KEY_PATH"])
        let paperOnProductionData = try load(["PAPER_TRADING": "true", "V3_HYBRID_MODE": "true"].merging(Keys.data) { a, _ in a })
        #expect(paperOnProductionData.config.trading.credentials == nil)
        #expect(paperOnProductionData.config.executionMode == .paper)
        #expect(paperOnProductionData.config.data.credentials != nil)
    }

    @Test("a world-readable key file is accepted with a warning")
    func keyPermissions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("key.pem", Keys.vectors.private_key_pkcs1_pem, mode: 0o644)
        let report = try load(["KALSHI_API_KEY_ID": "abcd-1", "KALSHI_PRIVATE_KEY_PATH": path])
        #expect(report.warnings.contains { $0.contains("chmod 600") })
    }

    @Test("KALSHI_DATA_* without hybrid mode are ignored with a warning")
    func dataWithoutHybrid() throws {
        let report = try load(Keys.demo.merging(["KALSHI_DATA_API_KEY_ID": "x-1"]) { a, _ in a })
        #expect(report.warnings.contains { $0.contains("KALSHI_DATA_API_KEY_ID") })
        #expect(report.config.data.apiURL == report.config.trading.apiURL)
    }
}

@Suite("Secrets never appear in text")
struct ConfigSecretTests {
    static let fullKeyID = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c"
    static let polyKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

    @Test("description, debugDescription, dump and the report redact keys")
    func redaction() throws {
        let values = ["ENVIRONMENT": "paper", "PAPER_TRADING": "false", "V3_HYBRID_MODE": "true",
                      "KALSHI_API_KEY_ID": Self.fullKeyID, "KALSHI_PRIVATE_KEY_CONTENT": Keys.vectors.private_key_pkcs1_pem,
                      "POLY_CLOB_URL": "http://127.0.0.1:9", "POLY_WS_URL": "ws://127.0.0.1:9/ws", "POLY_GAMMA_URL": "http://127.0.0.1:9/gamma",
                      "POLY_PRIVATE_KEY": Self.polyKey, "POLY_API_KEY": "0d4c1f6e-poly-key", "POLY_API_SECRET": "c2VjcmV0LXBvbHktc2VjcmV0",
                      "POLY_API_PASSPHRASE": "passphrase-poly-secret"]
            .merging(Keys.data) { a, _ in a }
        let report = try load(values)
        #expect(report.config.polymarket?.credentials != nil)
        var dumped = ""
        dump(report.config, to: &dumped)
        var dumpedReport = ""
        dump(report, to: &dumpedReport)
        let pemLine = String(Keys.vectors.private_key_pkcs1_pem.split(separator: "\n")[2])
        let pkcs8Line = String(Keys.vectors.private_key_pkcs8_pem.split(separator: "\n")[2])
        for text in [report.config.description, String(reflecting: report.config), dumped, dumpedReport, report.rendered(), "\(report.settings)"] {
            #expect(!text.contains("bcbe-ec3b"), "key id leaked")
            #expect(!text.contains("9876-5432"), "data key id leaked")
            #expect(!text.contains(pemLine) && !text.contains(pkcs8Line), "private key leaked")
            #expect(!text.contains("BEGIN RSA PRIVATE KEY"))
            #expect(!text.contains(Self.polyKey.dropFirst(2).prefix(16)), "Polymarket key leaked")
            #expect(!text.contains("c2VjcmV0LXBvbHktc2VjcmV0") && !text.contains("passphrase-poly-secret"), "Polymarket API secret leaked")
        }
        #expect(report.rendered().contains("a952…"))
    }

    @Test("errors about keys and key ids do not echo them")
    func errorsDoNotLeak() {
        let marker = "TOPSECRETMATERIAL"
        let bogus = "-----BEGIN RSA PRIVATE KEY-----\n\(marker)\n-----END RSA PRIVATE KEY-----"
        let found = problems(["KALSHI_API_KEY_ID": "abcd efgh \(marker)", "KALSHI_PRIVATE_KEY_CONTENT": bogus,
                              "KALSHI_DATA_PRIVATE_KEY_CONTENT": marker, "V3_HYBRID_MODE": "true"])
        #expect(!found.isEmpty)
        let text = ConfigError(problems: found).description
        #expect(!text.contains(marker), "\(text)")
        #expect(!text.contains("efgh"))
    }
}
