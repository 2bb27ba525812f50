import ExecutorTesting
import Foundation
import Testing
@testable import Config

@Suite("Configuration hardening: duplicate keys, key material never echoed")
struct ConfigHardeningTests {
    @Test("TS-64 a key set twice in a .env file is a warning naming the key and both line numbers; the later value wins")
    func duplicateKeys() throws {
        let text = "MAX_DAILY_LOSS=100\n# a comment\nCYCLE_INTERVAL_MS=500\nMAX_DAILY_LOSS=250\n"
        let parsed = try DotEnv.parseReportingDuplicates(text, source: ".env.paper")
        #expect(parsed.values["MAX_DAILY_LOSS"] == "250")
        #expect(parsed.duplicates.map(\.description) == [".env.paper: MAX_DAILY_LOSS is set on line 1 and again on line 4; line 4 wins"])

        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write(".env.twice", text)
        let report = try V3Config.load(ConfigEnvironment.load(.file(path), processEnvironment: [:], workingDirectory: dir.path))
        #expect(report.warnings.contains { $0.contains("MAX_DAILY_LOSS is set on line 1 and again on line 4") }, "\(report.warnings)")
        #expect(report.config.risk.maxDailyLoss.wireString == "250.00")
    }

    @Test("TS-61 a PEM pasted into KALSHI_PRIVATE_KEY_PATH (or any variable) is never echoed, in errors or in the report")
    func keyMaterialNeverEchoed() throws {
        let pem = Keys.vectors.private_key_pkcs1_pem
        let body = pem.split(separator: "\n").dropFirst().first.map(String.init) ?? "MII"
        let found = problems(["KALSHI_API_KEY_ID": "demo-1234-5678", "KALSHI_PRIVATE_KEY_PATH": pem, "KALSHI_API_URL": pem])
        let text = found.map(\.description).joined(separator: "\n")
        #expect(text.contains("KALSHI_PRIVATE_KEY_PATH: holds what looks like the key itself, not a file path (not shown)"), "\(text)")
        #expect(text.contains("KALSHI_API_URL: (a value that looks like key material; not shown)"), "\(text)")
        #expect(!text.contains("BEGIN") && !text.contains(body), "no key material in any message")

        // A hex key (Polymarket style) in a path variable is not shown either.
        let hex = String(repeating: "ab", count: 32)
        let hexProblems = problems(["KALSHI_API_KEY_ID": "demo-1234-5678", "KALSHI_PRIVATE_KEY_PATH": "0x" + hex]).map(\.description).joined()
        #expect(!hexProblems.contains(hex))

        // Where a value is valid, the effective-configuration report never shows key material either.
        let report = try load(keyed(["TRADING_PROFILE": pem]))
        #expect(report.settings.first { $0.variable == "TRADING_PROFILE" }?.display == "(a value that looks like key material; not shown)")
    }
}
