import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing

/// Realised P&L behind the loss limits, driven through real runs: paper trading on a simulator's book.
@Suite("run-executor: realised P&L and the loss limits")
struct LossLimitCLITests {
    static let ticker = "KXNFL-26JAN11-BUF"
    static let other = "KXNFL-26JAN11-KC"

    /// Paper trading with market data from `sim`: YES offered at 0.50 and bid at 0.48 (so NO is offered at 0.52).
    static func start() async throws -> SimFixture {
        let sim = try await SimFixture.start()
        for ticker in [ticker, other] {
            _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "mm-ask-\(ticker)", side: .ask,
                                                                                     count: contracts("1000"), price: price("0.50"), timeInForce: .goodTillCanceled))
            _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "mm-bid-\(ticker)", side: .bid,
                                                                                     count: contracts("1000"), price: price("0.48"), timeInForce: .goodTillCanceled))
        }
        return sim
    }

    static func environment(_ sim: SimFixture, _ dir: TemporaryDirectory, _ extra: [String: String] = [:]) throws -> [String: String] {
        let vectors = try AuthVectors.load()
        return [
            "ENVIRONMENT": "paper", "PAPER_TRADING": "true", "PAPER_SEED": "1",
            "KALSHI_API_URL": sim.server.baseURL.absoluteString, "KALSHI_WS_URL": sim.server.webSocketURL.absoluteString,
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
            "JOURNAL_PATH": dir.path + "/journal.sqlite", "ADMIN_TOKEN_FILE": dir.path + "/admin.token", "ADMIN_PORT": "0",
            "CYCLE_INTERVAL_MS": "100", "MAX_SIGNALS_PER_CYCLE": "50", "MIN_TIME_BETWEEN_ORDERS_MS": "0", "MAX_ORDERS_PER_MINUTE": "1000",
        ].merging(extra) { _, new in new }
    }

    static func signal(_ id: String, _ action: String, contracts: Int, ticker: String = ticker) -> String {
        #"{"signal_id":"\#(id)","should_trade":true,"action":"\#(action)","kalshi":{"ticker":"\#(ticker)","yes_ask":50,"no_ask":52},"edge":{"cents":1},"position":{"contracts":\#(contracts)}}"#
    }

    /// Trades `lines` in a run that stops once every signal has its TRADE or BLOCK line.
    static func run(_ lines: [String], _ environment: [String: String], _ dir: TemporaryDirectory, name: String) async throws -> CLIResult {
        let file = try dir.write(name, lines.joined(separator: "\n") + "\n")
        let ids = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["signal_id"] as? String }
        return try await CLIProcess.runUntil(["--signals", file], environment: environment, workingDirectory: dir.path,
                                             printed: ids.map { ["TRADE \($0) ", "BLOCK \($0) "] })
    }

    static func report(_ dir: TemporaryDirectory, _ environment: [String: String], offline: Bool = false) async throws -> [String: Any] {
        let result = try await CLIProcess.runDetached(["report", "--json"] + (offline ? ["--offline"] : []), environment: environment, workingDirectory: dir.path)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test("TS-43 MAX_DAILY_LOSS fires on realised P&L in a run (the issue's reproduction); TS-45 it survives a restart; TS-47 report shows realised and marked unrealised P&L")
    func dailyLoss() async throws {
        let sim = try await Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.environment(sim, dir, ["MAX_DAILY_LOSS": "0.50"])
        let lines = (1...5).map { Self.signal("yes-\($0)", "BUY_YES", contracts: 10) } + (1...5).map { Self.signal("no-\($0)", "BUY_NO", contracts: 10) }
        let first = try await Self.run(lines, environment, dir, name: "repro.jsonl")
        #expect(first.status == 0, "\(first.stderr)")
        for index in 1...5 { #expect(first.stdout.contains("TRADE yes-\(index) BUY_YES \(Self.ticker) 10.00 @ 0.50 → filled filled=10.00 avg=0.50 fees=0.18")) }
        // Buying NO at 0.52 while long YES bought at 0.50 closes 10 YES at 0.48: (0.48 − 0.50) × 10 − 0.18 − 0.18 (the
        // opening fee, through the cost basis) = −0.56.
        #expect(first.stdout.contains("TRADE no-1 BUY_NO \(Self.ticker) 10.00 @ 0.52 → filled filled=10.00 avg=0.52 fees=0.18"))
        #expect(first.stdout.contains("REALIZED \(Self.ticker) closed=10.00 pnl=-0.56"), "\(first.stdout)")
        for index in 2...5 {
            #expect(first.stdout.contains("BLOCK no-\(index) \(Self.ticker): DAILY_LOSS_LIMIT_REACHED: loss=0.56 limit=0.50"))
        }

        let second = try await Self.run([Self.signal("after-restart", "BUY_YES", contracts: 1)], environment, dir, name: "later.jsonl")
        #expect(second.stdout.contains("BLOCK after-restart \(Self.ticker): DAILY_LOSS_LIMIT_REACHED: loss=0.56 limit=0.50"),
                "the day's realised loss is rebuilt from the journal at start-up: \(second.stdout)")

        let report = try await Self.report(dir, environment)
        let pnl = try #require(report["pnl"] as? [String: Any])
        #expect(pnl["realized_pnl"] as? String == "-0.56")
        #expect(pnl["fees"] as? String == "1.08")
        let market = try #require((pnl["markets"] as? [[String: Any]])?.first { $0["ticker"] as? String == Self.ticker })
        #expect(market["position"] as? String == "40.00" && market["side"] as? String == "yes")
        #expect(market["basis"] as? String == "20.72", "four fifths of 5 × (5.00 + 0.18)")
        #expect(market["mark"] as? String == "0.48" && market["mark_source"] as? String == "book", "marked to the data venue's book, read now")
        #expect(market["unrealized_pnl"] as? String == "-1.52", "0.48 × 40 − 20.72")
        #expect(pnl["total_pnl"] as? String == "-2.08")
        let day = try #require((pnl["days"] as? [[String: Any]])?.last)
        #expect(day["realized_pnl"] as? String == "-0.56")

        await sim.stop()
        let offline = try await Self.report(dir, environment, offline: true)
        let stored = try #require(((offline["pnl"] as? [String: Any])?["markets"] as? [[String: Any]])?.first)
        #expect(stored["mark_source"] as? String == "last_known_book", "without the venue: the last book the run journaled, said so")
        #expect(stored["mark"] as? String == "0.48")
        let table = try await CLIProcess.runDetached(["report", "--offline"], environment: environment, workingDirectory: dir.path)
        let totals = ReportCLITests.table(table.stdout, header: "P&L ")?.first?.split(separator: " ").map(String.init)
        #expect(totals == ["all", "-0.56", "-1.52", "-2.08", totals?.last ?? ""], "realised, unrealised, total: \(table.stdout)")
    }

    @Test("TS-73 with TS-43: a closing order whose outcome was unknown realises its loss when the venue's record completes, and MAX_DAILY_LOSS counts it in the same run")
    func unknownOutcomeRealisedInRun() async throws {
        // A demo venue: YES offered at 0.46 and bid at 0.45 (NO offered at 0.55).
        let (production, demo) = try await HybridRunCLITests.venues(offered: "10")
        await HybridRunCLITests.quote(demo, .bid, "0.45", "10")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try HybridRunCLITests.environment(data: production, trading: demo, dir: dir).merging(
            ["FILL_DETECTION": "polling", "ORDER_TIMEOUT_SECONDS": "1", "ORDER_ABSENT_WINDOW_SECONDS": "2", "MAX_DAILY_LOSS": "0.40"]) { _, new in new }
        let file = try dir.write("open.jsonl", HybridRunCLITests.signal("s-open", "BUY_YES", yesAsk: 46, noAsk: 55, contracts: 10) + "\n")
        let run = try RunningCLI.launch(["--signals", file], environment: environment, workingDirectory: dir.path)
        let opened = try await run.waitForLine(containing: "TRADE s-open")
        #expect(opened.contains("→ filled filled=10.00"), "\(opened)")

        // The close's fills lag past its timeout (hidden until the fault is cleared): its outcome is unknown until they show.
        try demo.server.faults.apply(argument: "GET /portfolio/fills=stale_ms:600000")
        try await ControllerTraderCLITests.postArb(dir, HybridRunCLITests.signal("s-close", "BUY_NO", yesAsk: 46, noAsk: 55, contracts: 10))
        let closing = try await run.waitForLine(containing: "TRADE s-close")
        #expect(closing.contains("filled=0.00") && closing.contains("outcome unknown"), "\(closing)")
        demo.server.faults.clear()
        // (0.45 − 0.46) × 10 − 0.18 − 0.18 (both fees): the breaker hears of it once the venue's record is complete.
        let realized = try await run.waitForLine(containing: "REALIZED \(HybridRunCLITests.ticker)")
        #expect(realized.contains("pnl=-0.46") && realized.contains("today -0.46"), "\(realized)")
        _ = try await run.waitForLine(containing: "(outcome was unknown)")
        try await ControllerTraderCLITests.postArb(dir, HybridRunCLITests.signal("s-next", "BUY_YES", yesAsk: 46, noAsk: 55, contracts: 1))
        let blocked = try await run.waitForLine(containing: "BLOCK s-next", timeout: .seconds(15))
        #expect(blocked.contains("DAILY_LOSS_LIMIT_REACHED: loss=0.46 limit=0.40"), "\(blocked)")
        #expect(!run.output.contains { $0.contains("TRADE s-next") })
        #expect(await run.stop() == 0)
        await production.stop()
        await demo.stop()
    }

    @Test("TS-73 with TS-45: a closing order a killed run left with its outcome unknown is settled at the next start-up, and its realised loss counts at once")
    func unknownOutcomeRealisedAtStartup() async throws {
        let (production, demo) = try await HybridRunCLITests.venues(offered: "10")
        await HybridRunCLITests.quote(demo, .bid, "0.45", "10")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try HybridRunCLITests.environment(data: production, trading: demo, dir: dir).merging(
            ["FILL_DETECTION": "polling", "ORDER_TIMEOUT_SECONDS": "1", "MAX_DAILY_LOSS": "0.40"]) { _, new in new }
        let first = try RunningCLI.launch(["--signals", try dir.write("open.jsonl", HybridRunCLITests.signal("s-open", "BUY_YES", yesAsk: 46, noAsk: 55, contracts: 10) + "\n")],
                                          environment: environment, workingDirectory: dir.path)
        _ = try await first.waitForLine(containing: "TRADE s-open")
        try demo.server.faults.apply(argument: "GET /portfolio/fills=stale_ms:600000")
        try await ControllerTraderCLITests.postArb(dir, HybridRunCLITests.signal("s-close", "BUY_NO", yesAsk: 46, noAsk: 55, contracts: 10))
        let closing = try await first.waitForLine(containing: "TRADE s-close")
        #expect(closing.contains("outcome unknown"), "\(closing)")
        _ = await first.stop(signal: SIGKILL)
        demo.server.faults.clear()

        // The next run settles the close from the venue's record before it trades, and the breaker counts the loss.
        let second = try RunningCLI.launch(["--signals", try dir.write("next.jsonl", HybridRunCLITests.signal("s-next", "BUY_YES", yesAsk: 46, noAsk: 55, contracts: 1) + "\n")],
                                           environment: environment, workingDirectory: dir.path)
        let realized = try await second.waitForLine(containing: "REALIZED \(HybridRunCLITests.ticker)")
        #expect(realized.contains("pnl=-0.46"), "\(realized)")
        let blocked = try await second.waitForLine(containing: "BLOCK s-next", timeout: .seconds(15))
        #expect(blocked.contains("DAILY_LOSS_LIMIT_REACHED: loss=0.46 limit=0.40"), "\(blocked)")
        #expect(await second.stop() == 0)
        await production.stop()
        await demo.stop()
    }

    @Test("TS-46 a market's result whose lifecycle message the run never got is read by the result check (RESULT_CHECK_SECONDS) and realised in the run")
    func missedLifecycleEvent() async throws {
        let sim = try await Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.environment(sim, dir, ["RESULT_CHECK_SECONDS": "1"])
        let run = try RunningCLI.launch(["--signals", try dir.write("held.jsonl", Self.signal("held", "BUY_YES", contracts: 10) + "\n")],
                                        environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "TRADE held")
        await sim.exchange.lifecycle(Self.ticker, event: "determined", result: "no", publish: false)
        _ = try await run.waitForLine(containing: "SETTLED \(Self.ticker) at 0.00 per YES contract (the market's result, read by the result check)")
        // 10 YES bought at 0.50 with a 0.18 fee, worth nothing: −5.18.
        _ = try await run.waitForLine(containing: "REALIZED \(Self.ticker) closed=10.00 pnl=-5.18")
        #expect(await run.stop() == 0)
        await sim.stop()
    }

    @Test("TS-44 MAX_CONSECUTIVE_LOSSES counts closing losses in a run, survives a restart, and resume resets it")
    func consecutiveLosses() async throws {
        let sim = try await Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.environment(sim, dir, ["MAX_CONSECUTIVE_LOSSES": "2"])
        let lines = [Self.signal("open", "BUY_YES", contracts: 10), Self.signal("close-1", "BUY_NO", contracts: 2),
                     Self.signal("close-2", "BUY_NO", contracts: 2), Self.signal("close-3", "BUY_NO", contracts: 2)]
        let first = try await Self.run(lines, environment, dir, name: "streak.jsonl")
        #expect(first.stdout.contains("REALIZED \(Self.ticker)") && first.stdout.contains("losing streak 2"), "\(first.stdout)")
        #expect(first.stdout.contains("BLOCK close-3 \(Self.ticker): CONSECUTIVE_LOSSES_REACHED: losses=2 limit=2"), "\(first.stdout)")

        let second = try await Self.run([Self.signal("next", "BUY_YES", contracts: 1)], environment, dir, name: "next.jsonl")
        #expect(second.stdout.contains("BLOCK next \(Self.ticker): CONSECUTIVE_LOSSES_REACHED: losses=2 limit=2"), "\(second.stdout)")

        let resume = try await CLIProcess.runDetached(["resume"], environment: environment, workingDirectory: dir.path)
        #expect(resume.status == 0 && resume.stdout.contains("no executor running"), "\(resume.stdout)\(resume.stderr)")
        let third = try await Self.run([Self.signal("after-resume", "BUY_YES", contracts: 1)], environment, dir, name: "resumed.jsonl")
        #expect(third.stdout.contains("TRADE after-resume BUY_YES"), "\(third.stdout)")
        await sim.stop()
    }

    /// A run holding 10 YES of `ticker` (bought at 0.50, fee 0.18) and 4 NO of `other` (at 0.52, fee 0.07).
    static func holdingBoth(_ environment: [String: String], _ dir: TemporaryDirectory) async throws -> RunningCLI {
        let file = try dir.write("held.jsonl", [signal("held", "BUY_YES", contracts: 10), signal("kept", "BUY_NO", contracts: 4, ticker: other)]
            .joined(separator: "\n") + "\n")
        let run = try RunningCLI.launch(["--signals", file], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "TRADE kept")
        return run
    }

    @Test("TS-46 at start-up the results of the markets held are read together (one GET /markets?tickers=…), not market by market: with the one-market route failing, both positions are still realised")
    func startUpResultsTogether() async throws {
        let sim = try await Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.environment(sim, dir)
        let run = try await Self.holdingBoth(environment, dir)
        #expect(await run.stop(signal: SIGTERM) == 0)

        for ticker in [Self.ticker, Self.other] { await sim.exchange.lifecycle(ticker, event: "determined", result: "no", publish: false) }
        // Asked market by market, every question fails: nothing would be realised.
        try sim.server.faults.apply(argument: "GET /markets/{ticker}=error_rate:1")
        let restart = try await CLIProcess.runDetached(["--signals", dir.write("none.jsonl", ""), "--duration", "1"], environment: environment,
                                                       workingDirectory: dir.path)
        for ticker in [Self.ticker, Self.other] {
            #expect(restart.stdout.contains("SETTLED \(ticker) at 0.00 per YES contract (the market's result, read at start-up)"), "\(restart.stdout)")
        }
        // −5.18 on the 10 YES (see `settlement`), +1.85 on the 4 NO.
        #expect(restart.stdout.contains("REALIZED \(Self.ticker) closed=10.00 pnl=-5.18"), "\(restart.stdout)")
        #expect(restart.stdout.contains("REALIZED \(Self.other) closed=4.00 pnl=1.85"), "\(restart.stdout)")
        await sim.stop()
    }

    @Test("TS-46 a market's result realises the position: on the lifecycle feed during a run, and read from the market at start-up")
    func settlement() async throws {
        let sim = try await Self.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.environment(sim, dir)
        let run = try await Self.holdingBoth(environment, dir)
        await sim.exchange.lifecycle(Self.ticker, event: "determined", result: "no")
        _ = try await run.waitForLine(containing: "SETTLED \(Self.ticker) at 0.00 per YES contract")
        // 10 YES bought at 0.50 with a 0.18 fee, worth nothing: −5.18.
        _ = try await run.waitForLine(containing: "REALIZED \(Self.ticker) closed=10.00 pnl=-5.18")
        #expect(await run.stop(signal: SIGTERM) == 0)

        await sim.exchange.lifecycle(Self.other, event: "determined", result: "no")
        let restart = try await CLIProcess.runDetached(["--signals", dir.write("none.jsonl", ""), "--duration", "1"], environment: environment,
                                                       workingDirectory: dir.path)
        // 4 NO bought at 0.52 with a 0.07 fee, paid $1 each: 4.00 − 2.08 − 0.07 = +1.85.
        #expect(restart.stdout.contains("SETTLED \(Self.other) at 0.00 per YES contract (the market's result, read at start-up)"), "\(restart.stdout)")
        #expect(restart.stdout.contains("REALIZED \(Self.other) closed=4.00 pnl=1.85"), "\(restart.stdout)")
        let pnl = try #require(try await Self.report(dir, environment)["pnl"] as? [String: Any])
        #expect(pnl["realized_pnl"] as? String == "-3.33")
        #expect((pnl["markets"] as? [[String: Any]])?.allSatisfy { $0["position"] as? String == "0.00" } == true)
        await sim.stop()
    }
}
