import ExecutorTesting
import Foundation
import KalshiWire
import Testing

/// The main job as a user runs it: `run-executor` with no configuration, with a signal file, and live.
@Suite("run-executor: the trading run")
struct RunCLITests {
    static let root = CLIProcess.packageRoot(from: #filePath)

    @Test("the embedded default paper-trades the synthetic stream and exits cleanly after --duration")
    func embeddedDefault() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["--duration", "3"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("No configuration: using the embedded exchange simulator"))
        #expect(result.stdout.contains(" TRADE syn-"))
        #expect(result.stdout.contains("state stopped"))
        #expect(result.stdout.contains("final cycles="))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/data/executor.sqlite"), "the journal is in data/ under the working directory")

        let report = try await CLIProcess.runDetached(["report", "--json"], workingDirectory: dir.path)
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        #expect((json["orders"] as? [[String: Any]])?.isEmpty == false)
    }

    @Test("malformed signal lines are reported with their line number and the run goes on")
    func malformedLines() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let good = #"{"signal_id":"s-1","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"KXNFL-26JAN11-BUF","yes_ask":99,"no_ask":2},"edge":{"cents":7},"position":{"contracts":5}}"#
        let skipped = #"{"signal_id":"s-3","should_trade":false,"action":"BUY_NO","kalshi":{"ticker":"KXNFL-26JAN11-BUF","yes_ask":48,"no_ask":53},"edge":{"cents":1},"position":{"contracts":5}}"#
        let lines = [good, "{not json", #"{"signal_id":"s-2","action":"SELL_YES","kalshi":{"ticker":"X"},"edge":{"cents":1},"position":{"contracts":1}}"#, skipped]
        let path = try dir.write("signals.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try await CLIProcess.runDetached(["--signals", path, "--duration", "3"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("MALFORMED signal line 2: not a signal object"))
        #expect(result.stdout.contains("MALFORMED signal line 3: action: \"SELL_YES\" is not BUY_YES or BUY_NO"))
        #expect(result.stdout.contains("TRADE s-1 BUY_YES KXNFL-26JAN11-BUF 5.00"))
        #expect(!result.stdout.contains("TRADE s-3"), "should_trade=false is recorded, not traded")
        #expect(result.stdout.contains("malformed=2"))
    }

    @Test("live mode without a typed CONFIRM exits 3 and sends nothing")
    func liveNeedsConfirmation() async throws {
        let vectors = try AuthVectors.load()
        let environment = [
            "ENVIRONMENT": "live", "PAPER_TRADING": "false",
            "KALSHI_API_URL": "https://external-api.kalshi.com/trade-api/v2", "KALSHI_WS_URL": "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
        ]
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached([], environment: environment, workingDirectory: dir.path, stdin: "yes\n")
        #expect(result.status == 3)
        #expect(result.stdout.contains("Type CONFIRM"))
        #expect(result.stderr.contains("not confirmed; nothing was sent"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/data/executor.sqlite"), "not even a journal")
    }
}

/// `status`, `halt` and `resume` against a running executor's admin API.
@Suite("run-executor: admin API")
struct AdminCLITests {
    @Test("TS-19 halt stops new orders within one cycle, survives a restart, and status shows it; the API needs the token")
    func haltAcrossRestart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try RunningCLI.launch(["--admin-port", "0"], workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: " TRADE syn-")
        let tokenMode = try FileManager.default.attributesOfItem(atPath: dir.path + "/data/admin.token")[.posixPermissions] as? Int
        #expect(tokenMode == 0o600)

        let halt = try await CLIProcess.runDetached(["halt", "--reason", "news pending"], workingDirectory: dir.path)
        #expect(halt.status == 0, "\(halt.stderr)")
        _ = try await run.waitForLine(containing: "MANUAL_HALT: reason=news pending")
        let status = try await CLIProcess.runDetached(["status", "--json"], workingDirectory: dir.path)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect((json["execution"] as? [String: Any])?["halt_reason"] as? String == "news pending")
        let tradesAtHalt = run.output.count { $0.contains(" TRADE ") }
        _ = try await run.waitForLine(containing: "BLOCK syn-", timeout: .seconds(5))
        try await Task.sleep(for: .milliseconds(2_100))  // two more cycles
        #expect(run.output.count { $0.contains(" TRADE ") } <= tradesAtHalt + 1, "at most the cycle in progress trades after a halt")

        let endpoint = try String(contentsOfFile: dir.path + "/data/admin.endpoint", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let unauthorised = try await CLIProcess.runDetached(["status", "--url", endpoint], environment: ["ADMIN_TOKEN": "wrong"], workingDirectory: dir.path)
        #expect(unauthorised.status == 1 && unauthorised.stderr.contains("401"))
        #expect(await run.stop() == 0)

        let restarted = try await CLIProcess.runDetached(["--duration", "2", "--admin-port", "0"], workingDirectory: dir.path)
        #expect(restarted.status == 0)
        #expect(restarted.stdout.contains("HALTED (news pending)"))
        #expect(!restarted.stdout.contains(" TRADE "))
    }
}

import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension AdminCLITests {
    static func post(_ url: String, token: String, body: String? = nil, method: HTTPMethod = .POST) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test("POST /signals queues JSON lines for the loop and answers malformed ones with their line numbers; /metrics and /health answer")
    func postSignals() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // The embedded simulators' arb detector stays quiet (no arb can clear $0.99), so the counts are this test's.
        let run = try RunningCLI.launch(["--admin-port", "0", "--signals", try dir.write("none.jsonl", "")], environment: ["MIN_ARB_PROFIT": "0.99"],
                                        workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let (endpoint, token) = try HardeningCLITests.admin(in: dir.path + "/data")
        let good = #"{"signal_id":"api-1","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"KXNFL-26JAN11-BUF","yes_ask":99,"no_ask":2},"edge":{"cents":5},"position":{"contracts":2}}"#
        let answer = try await Self.post(endpoint + "/signals", token: token, body: good + "\n{broken\n")
        #expect(answer.status == 207)
        #expect(answer.body.contains(#""accepted":1"#) && answer.body.contains(#""line":2"#))
        _ = try await run.waitForLine(containing: "TRADE api-1 BUY_YES KXNFL-26JAN11-BUF 2.00")
        let refused = try await Self.post(endpoint + "/signals", token: "nope", body: good)
        #expect(refused.status == 401)
        let status = try await CLIProcess.runDetached(["status"], workingDirectory: dir.path)
        #expect(status.stdout.contains("signals received 1, malformed 1"))
        let metrics = try await Self.post(endpoint + "/metrics", token: token, method: .GET)
        #expect(metrics.status == 200 && metrics.body.contains("executor_orders_total{state=\"filled\"} 1"))
        let health = try await Self.post(endpoint + "/health", token: "", method: .GET)
        #expect(health.status == 200 && health.body.contains(#""status":"ok""#))
        #expect(await run.stop() == 0)
    }
}
