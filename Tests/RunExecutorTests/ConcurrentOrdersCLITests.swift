import ExchangeSim
import ExecutorTesting
import Foundation
import Testing

/// Signals on distinct markets in one cycle execute at once through the real run: the venue holds every
/// order 2 s before answering, and all three orders reach it before the first answer comes back (one at
/// a time, the second could only leave after the first's answer).
@Suite("run-executor: orders on distinct markets execute concurrently")
struct ConcurrentOrdersCLITests {
    /// A demo run against a simulator that holds every order `hold` before answering (arrival stamps on),
    /// with the default one-second cycle: the loss-limit tests' environment plus `extra`.
    struct HeldRun {
        let kalshi: SimFixture
        let run: RunningCLI
        let endpoint: String
        let token: String
    }

    static func launch(holding hold: Duration, in dir: TemporaryDirectory, _ extra: [String: String] = [:]) async throws -> HeldRun {
        let kalshi = try await SimFixture.start()
        var slow = SimFaultRule()
        slow.latency = hold
        kalshi.server.faults.set("POST /portfolio/events/orders", slow)
        try kalshi.server.arrivals.start()
        let environment = try LossLimitCLITests.environment(kalshi, dir, ["PAPER_TRADING": "false", "CYCLE_INTERVAL_MS": "1000",
                                                                          "SIGNAL_MAX_AGE_MS": "60000"].merging(extra) { $1 })
        let run = try RunningCLI.launch(["--signals", try dir.write("none.jsonl", "")], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let (endpoint, token) = try HardeningCLITests.admin(in: dir.path)
        return HeldRun(kalshi: kalshi, run: run, endpoint: endpoint, token: token)
    }

    @Test("three signals on three markets in one cycle: three orders at the venue before any answer; two on one market go one after the other")
    func distinctMarketsAtOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Held 5 s: a loaded machine (a full suite beside busy-loops) once took 3.3 s to send all three.
        let held = try await Self.launch(holding: .seconds(5), in: dir, ["MAX_SIGNALS_PER_CYCLE": "4"])
        let kalshi = held.kalshi, run = held.run, endpoint = held.endpoint, token = held.token
        let lines = [
            HardeningCLITests.signal("c-1", ticker: "KXNFL-26JAN11-BUF", edge: "9"), HardeningCLITests.signal("c-2", ticker: "KXNFL-26JAN11-KC", edge: "8"),
            HardeningCLITests.signal("c-3", ticker: "KXHIGHNY-26JAN11-T60", edge: "7"), HardeningCLITests.signal("c-4", ticker: "KXNFL-26JAN11-BUF", edge: "6"),
        ]
        let posted = try await AdminCLITests.post(endpoint + "/signals", token: token, body: lines.joined(separator: "\n"))
        #expect(posted.status == 200, "\(posted.body)")
        // The venue's own arrival stamps decide (a test task scheduled late would otherwise see answers
        // that came back after the three arrived): the three arrived within the 5 s the first was held.
        var seen: [String: UInt64] = [:]
        for _ in 0..<1_000 where seen.keys.filter({ $0.hasSuffix("-a0") }).count < 3 {
            seen.merge(kalshi.server.arrivals.drain()) { first, _ in first }
            try await Task.sleep(for: .milliseconds(10))
        }
        // First attempts only: a signal whose IOC found nothing at its price is retried (`-a1`) after its answer.
        let firstThree = seen.filter { !$0.key.contains("c-4") && $0.key.hasSuffix("-a0") }
        #expect(firstThree.count == 3, "orders at the venue: \(seen.keys.sorted()); the run said: \(run.tail(30))")
        if let first = firstThree.values.min(), let last = firstThree.values.max() {
            #expect(last - first < 5_000_000_000, "the three orders arrived \((last - first) / 1_000_000) ms apart: one waited for another's answer")
        }
        // All four end; the fourth left only after the first on its market was answered (held 5 s).
        _ = try await run.waitForLine(containing: "TRADE c-4")
        seen.merge(kalshi.server.arrivals.drain()) { first, _ in first }
        let first = try #require(seen.first { $0.key.contains("c-1-a0") }?.value)
        let fourth = try #require(seen.first { $0.key.contains("c-4-a0") }?.value)
        #expect(fourth >= first + 5_000_000_000, "the second signal on a market waits for the first's answer")
        #expect(await run.stop() == 0)
        await kalshi.stop()
    }

    @Test("a signal arriving while another market's order is in flight leaves at once: the loop does not wait for the orders it started")
    func laterSignalDoesNotWait() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // p-1 is held long enough for a loaded machine to post p-2 meanwhile (5 s was once not enough at a
        // full suite's start).
        let hold = Duration.seconds(15)
        let held = try await Self.launch(holding: hold, in: dir)
        let kalshi = held.kalshi, run = held.run, endpoint = held.endpoint, token = held.token
        func post(_ id: String, _ ticker: String) async throws {
            let posted = try await AdminCLITests.post(endpoint + "/signals", token: token, body: HardeningCLITests.signal(id, ticker: ticker, edge: "9"))
            #expect(posted.status == 200, "\(posted.body)")
        }
        func arrivals(until count: Int) async throws -> [String: UInt64] {
            var seen: [String: UInt64] = [:]
            for _ in 0..<1_000 where seen.count < count {
                seen.merge(kalshi.server.arrivals.drain()) { first, _ in first }
                try await Task.sleep(for: .milliseconds(10))
            }
            return seen
        }
        try await post("p-1", "KXNFL-26JAN11-BUF")
        var seen = try await arrivals(until: 1)
        try await post("p-2", "KXNFL-26JAN11-KC")  // while p-1 is held at the venue
        seen.merge(try await arrivals(until: 1)) { first, _ in first }
        let first = try #require(seen.first { $0.key.contains("p-1") }?.value, "\(seen.keys.sorted()) \(run.tail(20))")
        let second = try #require(seen.first { $0.key.contains("p-2") }?.value, "\(seen.keys.sorted()) \(run.tail(20))")
        #expect(second < first + UInt64(hold.wholeNanoseconds), "p-2 reached the venue \((second - first) / 1_000_000) ms after p-1: it waited for p-1's answer")
        _ = try await run.waitForLine(containing: "TRADE p-2")
        #expect(await run.stop() == 0)
        await kalshi.stop()
    }
}
