import AsyncHTTPClient
import Execution
import ExecutorTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The hardening issue's black-box checks: what a new user or an attacker tries from the command line.
@Suite("run-executor: hardening from the outside")
struct HardeningCLITests {
    /// A running executor's admin endpoint and token, from the files it wrote in `dir`'s default data folder.
    static func admin(_ dir: TemporaryDirectory) throws -> (endpoint: String, token: String) { try admin(in: dir.path + "/data") }

    /// The same from `folder` (where `ADMIN_TOKEN_FILE` put them).
    static func admin(in folder: String) throws -> (endpoint: String, token: String) {
        let endpoint = try String(contentsOfFile: folder + "/admin.endpoint", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try String(contentsOfFile: folder + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (endpoint, token)
    }

    static func signal(_ id: String, ticker: String = "KXNFL-26JAN11-BUF", edge: String = "5", contracts: String = "2") -> String {
        #"{"signal_id":"\#(id)","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"\#(ticker)","yes_ask":99,"no_ask":2},"edge":{"cents":\#(edge)},"position":{"contracts":\#(contracts)}}"#
    }

    static func mode(_ path: String) -> Int? { (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int }

    @Test("TS-49 numeric flags are range-checked and --signals must be a readable file: usage errors (exit 2) naming the flag", arguments: [
        (["--admin-port", "70000"], "--admin-port 70000 is out of range (0…65535)"),
        (["--duration", "9223372036854775807"], "--duration 9223372036854775807 is out of range (1…31536000)"),
        (["--duration", "0"], "--duration 0 is out of range"),
        (["report", "--limit=-5"], "--limit -5 is out of range"),
        (["sim", "--port", "70000"], "--port 70000 is not a TCP port"),
    ])
    func numericFlags(arguments: [String], message: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(arguments, workingDirectory: dir.path)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("TS-49 --signals naming a directory or a missing file is a usage error before anything connects")
    func signalsPath() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let directory = try await CLIProcess.runDetached(["--signals", dir.path], workingDirectory: dir.path)
        #expect(directory.status == 2 && directory.stderr.contains("is a directory, not a JSON-lines file"), "\(directory.stderr)")
        let missing = try await CLIProcess.runDetached(["--signals", dir.path + "/nope.jsonl"], workingDirectory: dir.path)
        #expect(missing.status == 2 && missing.stderr.contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/data/executor.sqlite"), "nothing started")
    }

    @Test("TS-48 overflowing signal fields from --signals and from POST /signals are refused with the field named; the run goes on")
    func overflowingSignals() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let hostile = [Self.signal("huge-edge", edge: "922337203685477580"), Self.signal("huge-size", contracts: "92233720368547759"),
                       Self.signal("fine")]
        let run = try RunningCLI.launch(["--admin-port", "0", "--signals", try dir.write("hostile.jsonl", hostile.joined(separator: "\n") + "\n")],
                                        workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "MALFORMED signal line 1: edge.cents: 922337203685477580 is outside -100…100")
        _ = try await run.waitForLine(containing: "MALFORMED signal line 2: position.contracts: 92233720368547759 is more than 1000000 contracts")
        _ = try await run.waitForLine(containing: "TRADE fine BUY_YES")
        let (endpoint, token) = try Self.admin(dir)
        let answer = try await AdminCLITests.post(endpoint + "/signals", token: token, body: hostile[0] + "\n" + hostile[1] + "\n")
        #expect(answer.status == 207 && answer.body.contains("edge.cents: 922337203685477580") && answer.body.contains("position.contracts"))
        let health = try await AdminCLITests.post(endpoint + "/health", token: "", method: .GET)
        #expect(health.status == 200, "still running")
        #expect(await run.stop() == 0)
    }

    @Test("TS-52 POST /signals answers after the signal is journaled; a signal_id already accepted is refused; a full inbox answers 503")
    func postedSignals() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try RunningCLI.launch(["--admin-port", "0", "--signals", try dir.write("none.jsonl", "")],
                                        environment: ["SIGNAL_INBOX_CAPACITY": "2", "MAX_SIGNALS_PER_CYCLE": "1", "MIN_ARB_PROFIT": "0.99"],
                                        workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let (endpoint, token) = try Self.admin(dir)
        let first = try await AdminCLITests.post(endpoint + "/signals", token: token, body: Self.signal("posted-1"))
        #expect(first.status == 200 && first.body.contains(#""accepted":1"#))
        // Journaled before the answer: its line is in the signal intake log (written with `write(2)`, what a
        // start after a crash writes back); its SQLite row follows on the journal's thread a couple of
        // milliseconds later.
        let intake = (try? String(contentsOfFile: dir.path + "/data/executor.sqlite-signals", encoding: .utf8)) ?? ""
        #expect(intake.contains("posted-1"), "journaled before the answer: \(intake)")
        let journal = try Journal(path: dir.path + "/data/executor.sqlite", readOnly: true)
        #expect(await eventually { (try? journal.signalCount()) == 1 }, "its row")
        let again = try await AdminCLITests.post(endpoint + "/signals", token: token, body: Self.signal("posted-1"))
        #expect(again.status == 207 && again.body.contains("was already accepted"), "\(again.body)")
        // The inbox empty again (posted-1 traded) before the flood, so it takes exactly two of the ten.
        _ = try await run.waitForLine(containing: "TRADE posted-1")
        let flood = try await AdminCLITests.post(endpoint + "/signals", token: token, body: (1...10).map { Self.signal("flood-\($0)") }.joined(separator: "\n"))
        #expect(flood.status == 503 && flood.body.contains("the inbox is full"), "\(flood.body)")
        #expect(await run.stop() == 0)
        let status = run.output.last { $0.hasPrefix("final ") } ?? ""
        #expect(status.contains("duplicates=1") && status.contains("refused=8"), "\(status) \(run.tail(10))")
    }

    @Test("TS-53 after a restart, accepted signals not yet executed trade while younger than SIGNAL_MAX_AGE_MS; older ones are recorded expired")
    func pendingSignalsAfterRestart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/data/executor.sqlite")
        let now = ExecutionService.systemWallClock()
        _ = try journal.acceptSignals([
            Journal.AcceptedSignal(id: "young", receivedNanoseconds: now, payload: Self.signal("young"), shouldTrade: true),
            Journal.AcceptedSignal(id: "stale", receivedNanoseconds: now - 60_000_000_000, payload: Self.signal("stale"), shouldTrade: true),
        ])
        let result = try await CLIProcess.runDetached(["--signals", try dir.write("none.jsonl", ""), "--duration", "2"],
                                                      environment: ["SIGNAL_MAX_AGE_MS": "30000"], workingDirectory: dir.path)
        #expect(result.stdout.contains("signals accepted by an earlier run: 1 re-queued, 1 expired"), "\(result.stdout)")
        #expect(result.stdout.contains("TRADE young BUY_YES"))
        #expect(!result.stdout.contains("TRADE stale"))
        let statuses = try Journal(path: dir.path + "/data/executor.sqlite", readOnly: true).signalStatusCounts()
        #expect(statuses["expired"] == 1 && statuses["accepted"] == nil, "\(statuses)")
    }

    @Test("TS-52 signals a killed run had accepted into the intake log, without their SQLite rows: the next run writes them back and trades them")
    func intakeLogAfterKill() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/data/executor.sqlite"
        do { _ = try Journal(path: path) }  // the journal as the killed run left it: tables, no signal rows
        let now = ExecutionService.systemWallClock()
        // What acceptance appended before the kill: one whole line, then one torn mid-write (never acknowledged).
        let line = "s1\tlogged\t\(now)\t1\taccepted\t\(Self.signal("logged"))\n"  // the intake log's line format
        try Data((line + "s1\ttorn\t1\t1\tacc").utf8).write(to: URL(fileURLWithPath: path + "-signals"))
        let result = try await CLIProcess.runDetached(["--signals", try dir.write("none.jsonl", ""), "--duration", "2"],
                                                      environment: ["SIGNAL_MAX_AGE_MS": "30000"], workingDirectory: dir.path)
        #expect(result.stdout.contains("signals accepted by an earlier run: 1 re-queued, 0 expired"), "\(result.stdout)")
        #expect(result.stdout.contains("TRADE logged BUY_YES"), "\(result.stdout)")
        let journal = try Journal(path: path, readOnly: true)
        #expect(try journal.signal("logged") != nil && journal.signal("torn") == nil)
        #expect(try journal.signalStatusCounts()["accepted"] == nil, "traded and its outcome recorded at the clean exit")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + "-signals")).isEmpty)
    }

    @Test("TS-59 one writer per journal: while a run holds it, order and cancel-all go through its admin API and a second run exits 2 naming the holder")
    func oneWriter() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // The embedded default trades the detector's arbs meanwhile: without the order spacing and rate limits a
        // manual order can land 38 ms after one of them and be refused by MIN_TIME_BETWEEN_ORDERS (seen in a run).
        let run = try RunningCLI.launch(["--admin-port", "0", "--signals", try dir.write("none.jsonl", "")],
                                        environment: ["MIN_TIME_BETWEEN_ORDERS_MS": "0", "MAX_ORDERS_PER_MINUTE": "1000"], workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let order = try await CLIProcess.runDetached(["order", "buy-yes", "KXNFL-26JAN11-BUF", "--count", "1", "--price", "0.99"],
                                                     workingDirectory: dir.path)
        #expect(order.status == 0, "\(order.stdout)\(order.stderr)\(run.tail(8))")
        #expect(order.stdout.contains("goes through its admin API") && order.stdout.contains("→ filled filled=1.00"), "\(order.stdout)")
        _ = try await run.waitForLine(containing: "ORDER via admin API: buy-yes KXNFL-26JAN11-BUF 1 @ 0.99 ioc")
        let cancel = try await CLIProcess.runDetached(["cancel-all"], workingDirectory: dir.path)
        #expect(cancel.status == 0 && cancel.stdout.contains("through the running executor"), "\(cancel.stdout)\(cancel.stderr)")
        let second = try await CLIProcess.runDetached(["--duration", "1"], workingDirectory: dir.path)
        #expect(second.status == 2)
        #expect(second.stderr.contains("journal data/executor.sqlite is in use by pid \(run.pid) (run-executor run)"), "\(second.stderr)")
        let report = try await CLIProcess.runDetached(["report", "--json"], workingDirectory: dir.path)
        #expect(report.status == 0, "a reader opens the journal read-only while the run writes it")
        #expect(await run.stop() == 0)
    }

    @Test("TS-59 a journal held by a process without an admin API: trading commands exit 2 naming its pid; readers never recover or reconcile")
    func heldWithoutAPI() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/journal.sqlite"
        // A crash left an intent without its row; a reader must not write it back (only a trading process does).
        _ = try Journal(path: path)
        let intent = "v1\tcrashed-1\t\tKXNFL-26JAN11-BUF\tbuy\tyes\t500000\t100\tpaper\t1\n"
        try Data(intent.utf8).write(to: URL(fileURLWithPath: path + "-intents"))
        for command in [["report", "--json"], ["orders"], ["positions"], ["balance"]] {
            let result = try await CLIProcess.runDetached(command + ["--journal", path], workingDirectory: dir.path)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        #expect(try String(contentsOfFile: path + "-intents", encoding: .utf8) == intent, "the intent log is untouched")
        #expect(try Journal(path: path, readOnly: true).order("crashed-1") == nil, "no row written back by a reader")

        let lock = try JournalLock.acquire(journal: path, command: "test")
        defer { lock.release() }
        let order = try await CLIProcess.runDetached(["order", "buy-yes", "KXNFL-26JAN11-BUF", "--count", "1", "--price", "0.5", "--journal", path],
                                                     workingDirectory: dir.path)
        #expect(order.status == 2)
        #expect(order.stderr.contains("journal \(path) is in use by pid \(getpid()) (run-executor test)"), "\(order.stderr)")
        let run = try await CLIProcess.runDetached(["--journal", path, "--duration", "1"], workingDirectory: dir.path)
        #expect(run.status == 2 && run.stderr.contains("is in use by pid \(getpid())"))
    }

    @Test("TS-60 private files: data/ 0700; journal, WAL, intent log, lock and token 0600 from the start; token and endpoint removed at a clean exit")
    func fileModes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try RunningCLI.launch(["--admin-port", "0"], workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: " TRADE syn-")
        let data = dir.path + "/data"
        #expect(Self.mode(data) == 0o700)
        for file in ["executor.sqlite", "executor.sqlite-wal", "executor.sqlite-shm", "executor.sqlite-intents", "executor.sqlite.lock",
                     "admin.token", "admin.endpoint"] {
            #expect(Self.mode(data + "/" + file) == 0o600, "\(file): \(String(Self.mode(data + "/" + file) ?? 0, radix: 8))")
        }
        #expect(await run.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: data + "/admin.token") && !FileManager.default.fileExists(atPath: data + "/admin.endpoint"))
    }

    @Test("TS-60 an ADMIN_TOKEN_FILE naming a file run-executor did not write is refused (exit 2) and left as it was")
    func foreignTokenFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
        let path = try dir.write("id_rsa", key)
        let result = try await CLIProcess.runDetached(["--duration", "1"], environment: ["ADMIN_TOKEN_FILE": path], workingDirectory: dir.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("ADMIN_TOKEN_FILE=\(path) exists and was not written by run-executor"), "\(result.stderr)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == key, "never overwritten")
    }

    @Test("TS-62 control characters in a signal id or ticker are escaped in log lines: no forged line")
    func logInjection() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let forged = #"{"signal_id":"evil\n2026-01-01T00:00:00.000Z TRADE forged","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"NO\rSUCH","yes_ask":50},"edge":{"cents":1},"position":{"contracts":1}}"#
        let result = try await CLIProcess.runDetached(["--signals", try dir.write("forged.jsonl", forged + "\n"), "--duration", "2"],
                                                      workingDirectory: dir.path)
        #expect(result.stdout.contains(#"BLOCK evil\n2026-01-01T00:00:00.000Z TRADE forged NO\rSUCH: market not listed"#), "\(result.stdout)")
        #expect(!result.stdout.split(separator: "\n").contains { $0.hasPrefix("2026-01-01T00:00:00.000Z") })
    }
}
