import ExecutorTesting
import Foundation
import Testing

/// `run-executor` exactly as a user runs it: the built binary, its exit codes and output.
@Suite("run-executor config check and the command tree")
struct ConfigCheckCLITests {
    static let root = CLIProcess.packageRoot(from: #filePath)

    @Test("the hybrid example reports exactly the four missing secrets and exits 2")
    func hybridExampleMissingSecrets() async throws {
        let result = try await CLIProcess.runDetached(["config", "check", "--env-file", "env-examples/.env.hybrid.example"], workingDirectory: Self.root)
        #expect(result.status == 2)
        let problems = result.stderr.split(separator: "\n").filter { $0.hasPrefix("  - ") }
        #expect(problems.map { String($0.dropFirst(4).prefix { $0 != ":" }) } == [
            "KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_CONTENT or KALSHI_PRIVATE_KEY_PATH",
            "KALSHI_DATA_API_KEY_ID", "KALSHI_DATA_PRIVATE_KEY_CONTENT or KALSHI_DATA_PRIVATE_KEY_PATH",
        ])
    }

    @Test("the Polymarket example names only Kalshi's production data key: paper trading on Polymarket needs no Polymarket credentials")
    func polymarketExample() async throws {
        let result = try await CLIProcess.runDetached(["config", "check", "--env-file", "env-examples/.env.polymarket.example"], workingDirectory: Self.root)
        #expect(result.status == 2)
        let problems = result.stderr.split(separator: "\n").filter { $0.hasPrefix("  - ") }
        #expect(problems.map { String($0.dropFirst(4).prefix { $0 != ":" }) } == [
            "KALSHI_DATA_API_KEY_ID", "KALSHI_DATA_PRIVATE_KEY_CONTENT or KALSHI_DATA_PRIVATE_KEY_PATH",
        ], "\(result.stderr)")
    }

    @Test("every example names only its missing credentials", arguments: [".env.paper.example", ".env.live.example"])
    func examples(file: String) async throws {
        let result = try await CLIProcess.runDetached(["config", "check", "--env-file", "env-examples/\(file)"], workingDirectory: Self.root)
        #expect(result.status == 2)
        #expect(result.stderr.contains("KALSHI_API_KEY_ID: required"))
        #expect(result.stderr.contains("configuration has 2 problems"))
    }

    @Test("the controller and trader examples name only their missing credentials and the shared secret file", arguments: [
        (".env.controller.example", ["KALSHI_DATA_API_KEY_ID", "KALSHI_DATA_PRIVATE_KEY_CONTENT or KALSHI_DATA_PRIVATE_KEY_PATH", "TRADER_SECRET_FILE"]),
        (".env.trader-kalshi.example", ["KALSHI_API_KEY_ID", "KALSHI_PRIVATE_KEY_CONTENT or KALSHI_PRIVATE_KEY_PATH", "TRADER_SECRET_FILE"]),
    ] as [(String, [String])])
    func linkExamples(file: String, missing: [String]) async throws {
        let home = try TemporaryDirectory()
        defer { home.remove() }
        let result = try await CLIProcess.runDetached(["config", "check", "--env-file", "env-examples/\(file)"], environment: ["HOME": home.path],
                                                      workingDirectory: Self.root)
        #expect(result.status == 2)
        let problems = result.stderr.split(separator: "\n").filter { $0.hasPrefix("  - ") }
        #expect(Set(problems.map { String($0.dropFirst(4).prefix { $0 != ":" }) }) == Set(missing), "\(result.stderr)")
    }

    @Test("a complete hybrid profile exits 0 and prints no secret; the environment overrides the file")
    func completeProfile() async throws {
        let vectors = try AuthVectors.load()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let keyPath = try dir.write("demo.pem", vectors.private_key_pkcs1_pem)
        var text = try String(contentsOfFile: Self.root + "/env-examples/.env.hybrid.example", encoding: .utf8)
        text = text.replacingOccurrences(of: "KALSHI_API_KEY_ID=\n", with: "KALSHI_API_KEY_ID=a952bcbe-ec3b-4b5b-b8f9-11dae589608c\n")
        text = text.replacingOccurrences(of: "KALSHI_PRIVATE_KEY_PATH=\n", with: "KALSHI_PRIVATE_KEY_PATH=\(keyPath)\n")
        text = text.replacingOccurrences(of: "KALSHI_DATA_API_KEY_ID=\n", with: "KALSHI_DATA_API_KEY_ID=prod7777-1111-2222\n")
        let escaped = vectors.private_key_pkcs8_pem.replacingOccurrences(of: "\n", with: "\\n")
        text = text.replacingOccurrences(of: "KALSHI_DATA_PRIVATE_KEY_CONTENT=\n", with: "KALSHI_DATA_PRIVATE_KEY_CONTENT=\"\(escaped)\"\n")
        try dir.write(".env.hybrid", text)

        let result = try await CLIProcess.runDetached(["config", "check", "--profile", "hybrid"], environment: ["MAX_DAILY_TRADES": "12"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Configuration OK."))
        #expect(result.stdout.contains("DEMO"))
        #expect(result.stdout.contains("PRODUCTION"))
        #expect(result.stdout.contains("MAX_DAILY_TRADES                 12  (environment)"))
        let all = result.stdout + result.stderr
        #expect(!all.contains("bcbe-ec3b") && !all.contains("1111-2222"))
        for line in vectors.private_key_pkcs8_pem.split(separator: "\n").dropFirst().dropLast() {
            #expect(!all.contains(line))
        }
    }

    @Test("no configuration at all describes the embedded default and exits 0")
    func embeddedDefault() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["config", "check"], workingDirectory: dir.path)
        #expect(result.status == 0)
        #expect(result.stdout.contains("embedded"))
    }

    @Test("a production trading host in paper mode is a configuration error")
    func paperProduction() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("p.env", "ENVIRONMENT=paper\nKALSHI_API_URL=https://api.elections.kalshi.com/trade-api/v2\n")
        let result = try await CLIProcess.runDetached(["config", "check", "--env-file", "p.env"], workingDirectory: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("KALSHI_API_URL: api.elections.kalshi.com is a production trading host"))
    }

    @Test("usage and load errors exit 2", arguments: [
        ["config", "check", "--profile", "a", "--env-file", "b"],
        ["config", "check", "--profile", "missing"],
        ["config", "check", "--env-file", "nope.env"],
        ["--signals", "/nonexistent/signals.jsonl"], ["--duration", "0"],
        ["order", "buy-yes", "KX-1", "--count", "abc", "--price", "0.5"], ["order", "buy-yes", "KX-1", "--count", "1", "--price", "1.5"],
    ])
    func usageErrors(arguments: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try await CLIProcess.runDetached(arguments, workingDirectory: dir.path).status == 2)
    }

    @Test("every command has help", arguments: [
        [], ["run"], ["config"], ["config", "check"], ["order"], ["cancel-all"], ["positions"], ["balance"], ["orders"],
        ["report"], ["status"], ["halt"], ["resume"], ["watch"], ["sim"], ["trader"], ["bootstrap"],
    ])
    func help(command: [String]) async throws {
        let result = try await CLIProcess.runDetached(command + ["--help"], workingDirectory: Self.root)
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE"))
    }

    @Test("trader without TRADER_SECRET or TRADER_SECRET_FILE is a configuration error naming them (exit 2), nothing connected")
    func traderNeedsSecret() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["trader", "--platform", "kalshi"], workingDirectory: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("TRADER_SECRET or TRADER_SECRET_FILE is required"), "\(result.stderr)")
    }
}
