import ExecutorTesting
import Foundation
import KalshiWire
import Testing

/// The main job as a user runs it: `run-executor` with no configuration, with a signal file, and live.
@Suite("run-executor: the trading run")
struct RunCLITests {
    static let root = CLIProcess.packageRoot(from: #filePath)

    @Test("the embedded default paper-trades the synthetic stream and exits cleanly after --duration")
    func embeddedDefault() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try CLIProcess.run(["--duration", "3"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("No configuration: using the embedded exchange simulator"))
        #expect(result.stdout.contains(" TRADE syn-"))
        #expect(result.stdout.contains("state stopped"))
        #expect(result.stdout.contains("final cycles="))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/data/executor.sqlite"), "the journal is in data/ under the working directory")

        let report = try CLIProcess.run(["report", "--json"], workingDirectory: dir.path)
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect((json["orders"] as? [[String: Any]])?.isEmpty == false)
    }

    @Test("malformed signal lines are reported with their line number and the run goes on")
    func malformedLines() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = #"{"signal_id":"s-1","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"KXNFL-26JAN11-BUF","yes_ask":99,"no_ask":2},"edge":{"cents":7},"position":{"contracts":5}}"#
        let skipped = #"{"signal_id":"s-3","should_trade":false,"action":"BUY_NO","kalshi":{"ticker":"KXNFL-26JAN11-BUF","yes_ask":48,"no_ask":53},"edge":{"cents":1},"position":{"contracts":5}}"#
        let lines = [good, "{not json", #"{"signal_id":"s-2","action":"SELL_YES","kalshi":{"ticker":"X"},"edge":{"cents":1},"position":{"contracts":1}}"#, skipped]
        let path = try dir.write("signals.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try CLIProcess.run(["--signals", path, "--duration", "3"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("MALFORMED signal line 2: not a signal object"))
        #expect(result.stdout.contains("MALFORMED signal line 3: action: \"SELL_YES\" is not BUY_YES or BUY_NO"))
        #expect(result.stdout.contains("TRADE s-1 BUY_YES KXNFL-26JAN11-BUF 5.00"))
        #expect(!result.stdout.contains("TRADE s-3"), "should_trade=false is recorded, not traded")
        #expect(result.stdout.contains("malformed=2"))
    }

    @Test("live mode without a typed CONFIRM exits 3 and sends nothing")
    func liveNeedsConfirmation() throws {
        let vectors = try AuthVectors.load()
        let environment = [
            "ENVIRONMENT": "live", "PAPER_TRADING": "false",
            "KALSHI_API_URL": "https://external-api.kalshi.com/trade-api/v2", "KALSHI_WS_URL": "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
        ]
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try CLIProcess.run([], environment: environment, workingDirectory: dir.path, stdin: "yes\n")
        #expect(result.status == 3)
        #expect(result.stdout.contains("Type CONFIRM"))
        #expect(result.stderr.contains("not confirmed; nothing was sent"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/data/executor.sqlite"), "not even a journal")
    }
}
