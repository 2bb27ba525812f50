import AsyncHTTPClient
import ExchangeSim
import Execution
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import NIOCore
import Testing

/// The hybrid configuration end to end: one simulator plays production (market data), another the demo
/// account (orders), and `run-executor` trades a JSON-lines file between them.
@Suite("run-executor: hybrid run against two simulators")
struct HybridRunCLITests {
    static let ticker = "KXNFL-26JAN11-BUF"

    static func environment(data: SimFixture, trading: SimFixture, dir: TemporaryDirectory) throws -> [String: String] {
        let vectors = try AuthVectors.load()
        return [
            "ENVIRONMENT": "paper", "PAPER_TRADING": "false", "V3_HYBRID_MODE": "true",
            "KALSHI_API_URL": trading.server.baseURL.absoluteString, "KALSHI_WS_URL": trading.server.webSocketURL.absoluteString,
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
            "KALSHI_DATA_API_URL": data.server.baseURL.absoluteString, "KALSHI_DATA_WS_URL": data.server.webSocketURL.absoluteString,
            "KALSHI_DATA_API_KEY_ID": vectors.key_id, "KALSHI_DATA_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
            "JOURNAL_PATH": dir.path + "/journal.sqlite", "ADMIN_TOKEN_FILE": dir.path + "/admin.token", "ADMIN_PORT": "0",
            "CYCLE_INTERVAL_MS": "100", "MAX_SIGNALS_PER_CYCLE": "50", "MIN_TIME_BETWEEN_ORDERS_MS": "0", "MAX_ORDERS_PER_MINUTE": "1000",
        ]
    }

    /// Two simulators (production data, demo trading) with YES offered on the demo book at 0.46.
    static func venues(offered: String) async throws -> (production: SimFixture, demo: SimFixture) {
        let production = try await SimFixture.start()
        let demo = try await SimFixture.start()
        await quote(demo, .ask, "0.46", offered)
        return (production, demo)
    }

    static func quote(_ sim: SimFixture, _ side: BookSide, _ yesPrice: String, _ count: String) async {
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: ticker, clientOrderID: "mm-\(side.rawValue)", side: side,
                                                                                 count: contracts(count), price: price(yesPrice), timeInForce: .goodTillCanceled))
    }

    /// The journal's orders as `report --json` prints them.
    static func journaledOrders(_ dir: TemporaryDirectory) async throws -> [[String: Any]] {
        let report = try await CLIProcess.runDetached(["report", "--json", "--limit", "1000", "--journal", dir.path + "/journal.sqlite"],
                                                      workingDirectory: dir.path)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        return json["orders"] as? [[String: Any]] ?? []
    }

    static func signal(_ id: String, _ action: String, yesAsk: Int, noAsk: Int, contracts: Int) -> String {
        #"{"signal_id":"\#(id)","should_trade":true,"action":"\#(action)","kalshi":{"ticker":"\#(ticker)","yes_ask":\#(yesAsk),"no_ask":\#(noAsk)},"edge":{"cents":2},"position":{"contracts":\#(contracts)}}"#
    }

    @Test("signals become demo orders with BUY_YES and BUY_NO mapped onto the YES book; production sees no order")
    func hybridSignals() async throws {
        // The demo book: YES offered at 0.46, YES bid at 0.45 (so NO is offered at 0.55).
        let (production, demo) = try await Self.venues(offered: "10")
        await Self.quote(demo, .bid, "0.45", "10")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("signals.jsonl", [
            Self.signal("s-yes", "BUY_YES", yesAsk: 46, noAsk: 56, contracts: 3),
            Self.signal("s-no", "BUY_NO", yesAsk: 46, noAsk: 55, contracts: 2),
        ].joined(separator: "\n") + "\n")
        let result = try await CLIProcess.runUntil(["--signals", file], environment: try Self.environment(data: production, trading: demo, dir: dir),
                                                   workingDirectory: dir.path, printed: [["TRADE s-yes"], ["TRADE s-no"]])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("HYBRID: market data from 127.0.0.1"))
        #expect(result.stdout.contains("TRADE s-yes BUY_YES \(Self.ticker) 3.00 @ 0.46 → filled"))
        #expect(result.stdout.contains("TRADE s-no BUY_NO \(Self.ticker) 2.00 @ 0.55 → filled"))

        let account = demo.credentials.keyID.rawValue
        let orders = try await demo.exchange.orders(account: account, ticker: Self.ticker, status: nil, cursor: nil, limit: 100).get().orders
        let yes = try #require(orders.first { $0.clientOrderID.contains("s-yes") })
        let no = try #require(orders.first { $0.clientOrderID.contains("s-no") })
        #expect(yes.bookSide == .bid && yes.yesPriceDollars == Dollars(micros: 460_000), "BUY_YES @ 0.46 → bid @ 0.46")
        #expect(no.bookSide == .ask && no.yesPriceDollars == Dollars(micros: 450_000), "BUY_NO @ 0.55 → ask @ 0.45 YES")
        #expect(await demo.exchange.accountSnapshot(account).positions[Self.ticker] == Contracts(hundredths: 100), "3 YES − 2 NO nets to +1")
        let productionOrders = try await production.exchange.orders(account: account, ticker: nil, status: nil, cursor: nil, limit: 100).get().orders
        #expect(productionOrders.isEmpty, "the production (data) venue never receives an order")

        let report = try await CLIProcess.runDetached(["report", "--json", "--journal", dir.path + "/journal.sqlite"], workingDirectory: dir.path)
        #expect(report.stdout.contains(#""expected_price":"0.46""#), "the production price is journaled beside the demo fill")
        await production.stop()
        await demo.stop()
    }

    @Test("TS-73 in a run: the demo venue's fills lag past the order's timeout; the order is journaled open (outcome unknown), never cancelled unfilled, and settled with its fills once they show")
    func laggingFillsInRun() async throws {
        let (production, demo) = try await Self.venues(offered: "3")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Fills read by REST lag (until the fault is cleared); the order is followed 1 s by polling; unknown outcomes are
        // asked about every second.
        try demo.server.faults.apply(argument: "GET /portfolio/fills=stale_ms:600000")
        let file = try dir.write("lag.jsonl", Self.signal("s-lag", "BUY_YES", yesAsk: 46, noAsk: 56, contracts: 5) + "\n")
        let environment = try Self.environment(data: production, trading: demo, dir: dir)
            .merging(["FILL_DETECTION": "polling", "ORDER_TIMEOUT_SECONDS": "1", "ORDER_ABSENT_WINDOW_SECONDS": "2"]) { _, new in new }
        let run = try RunningCLI.launch(["--signals", file], environment: environment, workingDirectory: dir.path)
        let trade = try await run.waitForLine(containing: "TRADE s-lag")
        #expect(trade.contains("filled=0.00") && trade.contains("outcome unknown: the venue counts 3.00 filled (canceled) but its fills show 0.00"),
                "\(trade)")
        #expect(!trade.contains("→ canceled"), "never concluded from the partial record: \(trade)")
        // Asked again while the fills are still hidden, it stays open; once they show, it is settled with them.
        let reads = demo.server.faults.staleReads("GET /portfolio/fills")
        #expect(await eventually(timeout: .seconds(30)) { demo.server.faults.staleReads("GET /portfolio/fills") >= reads + 2 }, "asked again")
        #expect(!run.output.contains { $0.contains("(outcome was unknown)") }, "not settled from the partial record")
        demo.server.faults.clear()
        let resolved = try await run.waitForLine(containing: "(outcome was unknown)")
        #expect(resolved.contains(": canceled"), "settled once the fills show: \(resolved)")
        #expect(await run.stop(signal: SIGTERM) == 0, "\(run.tail(10))")

        let order = try #require(try await Self.journaledOrders(dir).first { ($0["client_order_id"] as? String)?.contains("s-lag") == true })
        #expect(order["state"] as? String == "canceled")
        #expect(order["filled"] as? String == "3.00", "\(order)")
        let account = demo.credentials.keyID.rawValue
        #expect(await demo.exchange.accountSnapshot(account).positions[Self.ticker] == contracts("3"))
        let report = try await CLIProcess.runDetached(["report", "--json", "--journal", dir.path + "/journal.sqlite"], workingDirectory: dir.path)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let market = try #require(((json["pnl"] as? [String: Any])?["markets"] as? [[String: Any]])?.first { $0["ticker"] as? String == Self.ticker })
        #expect(market["position"] as? String == "3.00", "the journal's position is the venue's: \(market)")
        let statuses = try Journal(path: dir.path + "/journal.sqlite", readOnly: true).signalStatusCounts()
        #expect(statuses == ["partially_filled": 1], "the signal's outcome follows its order's: \(statuses)")
        await production.stop()
        await demo.stop()
    }

    @Test("SIGTERM with a manual GTC order resting (its POST /orders open) while the venue answers its cancel 503 twice: the run stops at once, not at the order's timeout; the cancel is tried again, nothing is left resting")
    func shutdownCancelRetried() async throws {
        let (production, demo) = try await Self.venues(offered: "1")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.environment(data: production, trading: demo, dir: dir).merging(["ORDER_TIMEOUT_SECONDS": "600"]) { _, new in new }
        let run = try RunningCLI.launch(["--signals", try dir.write("none.jsonl", "")], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let (endpoint, token) = try HardeningCLITests.admin(in: dir.path)
        let order = #"{"intent":"buy-yes","ticker":"\#(Self.ticker)","count":"3","price":"0.02","tif":"gtc"}"#
        let posting = Task { try await AdminCLITests.post(endpoint + "/orders", token: token, body: order) }
        let account = demo.credentials.keyID.rawValue
        @Sendable func venueOrders() async -> [KalshiOrder] {
            (try? await demo.exchange.orders(account: account, ticker: nil, status: nil, cursor: nil, limit: 100).get().orders) ?? []
        }
        #expect(await eventually(timeout: .seconds(30)) { await venueOrders().contains { $0.status == .resting } })
        try demo.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=unavailable:2")
        #expect(await run.stop(signal: SIGTERM, killAfter: .seconds(60)) == 0, "stopped at once, not at the order's timeout: \(run.tail(10))")
        // Cancelled by the shutdown's cancel-all, or (when that came while the order was still being placed) by
        // its own follow-up as soon as it was accepted.
        #expect(run.output.contains { $0.contains("shutdown: cancelled") }, "\(run.tail(10))")
        #expect(demo.server.faults.requests("DELETE /portfolio/events/orders/{order_id}") == 3, "two 503s, then the cancel")
        #expect(await venueOrders().map(\.status) == [.canceled], "nothing left resting")
        #expect(!run.output.contains { $0.contains("WARNING shutdown") }, "a confirmed cancel is not reported as resting: \(run.tail(10))")
        // The order's request was answered before the API stopped: the order ended when it was cancelled.
        let answer = try await posting.value
        #expect(answer.status == 200 && answer.body.contains("canceled"), "\(answer.body)")
        await production.stop()
        await demo.stop()
    }

    /// A run trading on the demo venue, and a manual GTC order (3 @ 0.02) placed through its admin API
    /// after `cancelFault` was set on the venue's cancel: with every cancel try of the executor failing, the
    /// order's outcome is unknown (and it rests) when this returns.
    static func unknownGTC(cancelFault: String, _ extra: [String: String] = [:]) async throws
        -> (production: SimFixture, demo: SimFixture, dir: TemporaryDirectory, run: RunningCLI) {
        let (production, demo) = try await venues(offered: "1")
        let dir = try TemporaryDirectory()
        let environment = try environment(data: production, trading: demo, dir: dir)
            .merging(["ORDER_TIMEOUT_SECONDS": "1"]) { _, new in new }.merging(extra) { _, new in new }
        let run = try RunningCLI.launch(["--signals", try dir.write("none.jsonl", "")], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        try demo.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=\(cancelFault)")
        let (endpoint, token) = try HardeningCLITests.admin(in: dir.path)
        let answer = try await AdminCLITests.post(endpoint + "/orders", token: token,
                                                  body: #"{"intent":"buy-yes","ticker":"\#(ticker)","count":"3","price":"0.02","tif":"gtc"}"#)
        #expect(answer.body.contains("outcome unknown") && answer.body.contains("resting"), "\(answer.body)")
        return (production, demo, dir, run)
    }

    @Test("a GTC order whose timeout cancel the venue keeps refusing (503 past every try) is left with its outcome unknown, then cancelled by the run's re-ask once the venue answers")
    func timeoutCancelExhausted() async throws {
        // The executor's three tries and the run's first re-ask meet a 503; the next re-ask cancels it.
        let (production, demo, dir, run) = try await Self.unknownGTC(cancelFault: "unavailable:4", ["ORDER_ABSENT_WINDOW_SECONDS": "2"])
        defer { dir.remove() }
        let resolved = try await run.waitForLine(containing: "(outcome was unknown)", timeout: .seconds(30))
        #expect(resolved.contains(": canceled"), "\(resolved)")
        #expect(demo.server.faults.requests("DELETE /portfolio/events/orders/{order_id}") >= 5)
        let orders = await ControllerTraderCLITests.kalshiOrders(demo)
        #expect(orders.filter { $0.clientOrderID != "mm-ask" }.map(\.status) == [.canceled], "\(orders.map { ($0.clientOrderID, $0.status) })")
        #expect(await run.stop(signal: SIGTERM, killAfter: .seconds(60)) == 0)
        await production.stop()
        await demo.stop()
    }

    @Test("SIGTERM right after a GTC order's timeout cancel went unanswered (outcome unknown): the shutdown asks the venue once more and cancels it; nothing is left resting")
    func shutdownSettlesUnknown() async throws {
        let (production, demo, dir, run) = try await Self.unknownGTC(cancelFault: "unavailable:1000")
        defer { dir.remove() }
        // The venue answers again just before the stop, sooner than the run's next re-ask.
        demo.server.faults.clear()
        #expect(await run.stop(signal: SIGTERM, killAfter: .seconds(60)) == 0, "\(run.tail(10))")
        let orders = await ControllerTraderCLITests.kalshiOrders(demo)
        #expect(orders.filter { $0.clientOrderID != "mm-ask" }.map(\.status) == [.canceled], "\(orders.map { ($0.clientOrderID, $0.status) })")
        let states = try await Self.journaledOrders(dir).compactMap { $0["state"] as? String }
        #expect(states == ["canceled"], "\(states)")
        #expect(run.output.contains { $0.contains("(outcome was unknown)") && $0.contains("canceled") }, "\(run.tail(10))")
        await production.stop()
        await demo.stop()
    }

    @Test("SIGTERM with an order whose outcome is unknown and a venue that does not answer the lookup: the stop waits 10 s for it, no longer, and says what is left")
    func shutdownAskBounded() async throws {
        let (production, demo, dir, run) = try await Self.unknownGTC(cancelFault: "unavailable:1000")
        defer { dir.remove() }
        // Each lookup of the order now takes longer than the request timeout, every try of it.
        try demo.server.faults.apply(argument: "GET /portfolio/orders/{order_id}=latency_ms:120000")
        let stopping = ContinuousClock.now
        #expect(await run.stop(signal: SIGTERM, killAfter: .seconds(60)) == 0, "\(run.tail(10))")
        let took = stopping.duration(to: .now)
        // Unbounded, the last ask would take every try of the lookup: 5 × the 10 s request timeout.
        #expect(took >= .seconds(10) && took < .seconds(45), "\(took)")
        let orders = try await Self.journaledOrders(dir)
        #expect(orders.compactMap { $0["state"] as? String } == ["resting"], "left for the next start: \(orders)")
        let id = try #require(orders.first?["client_order_id"] as? String)
        #expect(run.output.contains { $0.contains("WARNING shutdown: 1 order(s) with an unknown outcome the venue did not settle within 10") && $0.contains(id) },
                "\(run.tail(10))")
        await production.stop()
        await demo.stop()
    }

    /// A run trading on the demo venue with manual GTC orders resting (1 @ 0.02 each), placed through its
    /// admin API by a client of their own: each request stays open while its order rests.
    struct RestingRun {
        let production: SimFixture, demo: SimFixture, dir: TemporaryDirectory, environment: [String: String], run: RunningCLI
        let client: HTTPClient
        let placing: [Task<UInt, any Error>]

        /// This run's orders on the venue (the book's maker left out).
        @Sendable func mine() async -> [KalshiOrder] { await ControllerTraderCLITests.kalshiOrders(demo).filter { $0.clientOrderID != "mm-ask" } }

        func finish() async throws {
            for task in placing { _ = try? await task.value }
            try await client.shutdown()
            await production.stop()
            await demo.stop()
            dir.remove()
        }
    }

    static func restingGTC(_ count: Int) async throws -> RestingRun {
        let (production, demo) = try await venues(offered: "1")
        let dir = try TemporaryDirectory()
        let environment = try environment(data: production, trading: demo, dir: dir).merging(["ORDER_TIMEOUT_SECONDS": "600"]) { _, new in new }
        let run = try RunningCLI.launch(["--signals", try dir.write("none.jsonl", "")], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let (endpoint, token) = try HardeningCLITests.admin(in: dir.path)
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = count + 4
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let order = #"{"intent":"buy-yes","ticker":"\#(ticker)","count":"1","price":"0.02","tif":"gtc"}"#
        let placing = (0..<count).map { _ in
            Task {
                var request = HTTPClientRequest(url: endpoint + "/orders")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.body = .bytes(ByteBuffer(string: order))
                return try await client.execute(request, timeout: .seconds(120)).status.code
            }
        }
        let resting = RestingRun(production: production, demo: demo, dir: dir, environment: environment, run: run, client: client, placing: placing)
        #expect(await eventually(timeout: .seconds(30)) { await resting.mine().filter { $0.status == .resting }.count == count })
        return resting
    }

    @Test("SIGTERM while the venue does not answer cancels: the stop tries for 20 s, no longer, names the order that may still rest, and the next start cancels it")
    func shutdownCancelUnanswered() async throws {
        let resting = try await Self.restingGTC(1)
        let (demo, run) = (resting.demo, resting.run)
        let id = try #require(await resting.mine().first?.clientOrderID)
        // Every cancel is held past the request timeout, every try of it.
        try demo.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=latency_ms:120000")
        let stopping = ContinuousClock.now
        #expect(await run.stop(signal: SIGTERM, killAfter: .seconds(120)) == 0, "\(run.tail(10))")
        let took = stopping.duration(to: .now)
        // Unbounded: 3 tries × the 10 s request timeout, twice (the shutdown's two passes), 66 s measured.
        #expect(took >= .seconds(19) && took < .seconds(45), "\(took)")
        #expect(run.output.contains { $0.contains("WARNING shutdown: 1 order(s) may still rest on the venue") && $0.contains(id) },
                "\(run.tail(10))")
        #expect(await resting.mine().map(\.status) == [.resting])
        // The next start, the venue answering again, cancels it.
        demo.server.faults.clear()
        let next = try RunningCLI.launch(["--signals", try resting.dir.write("none2.jsonl", "")], environment: resting.environment,
                                         workingDirectory: resting.dir.path)
        _ = try await next.waitForLine(containing: "state ready")
        #expect(await resting.mine().map(\.status) == [.canceled], "\(next.tail(10))")
        #expect(await next.stop(signal: SIGTERM, killAfter: .seconds(60)) == 0)
        try await resting.finish()
    }

    @Test("SIGTERM with 48 GTC orders resting and a venue taking 4 s per cancel request: cancelled in batches within the stop's 20 s, no warning")
    func shutdownCancelsMany() async throws {
        let resting = try await Self.restingGTC(48)
        let run = resting.run
        // One by one, the host's eight order lanes carry eight cancels at a time: six 4 s rounds, past the stop's
        // 20 s. In batches of 20 (40 tokens; the Basic tier's write gate holds one with a few single ones):
        // three rounds.
        for route in ["DELETE /portfolio/events/orders/{order_id}", "DELETE /portfolio/events/orders/batched"] {
            try resting.demo.server.faults.apply(argument: "\(route)=latency_ms:4000")
        }
        let stopping = ContinuousClock.now
        #expect(await run.stop(signal: SIGTERM, killAfter: .seconds(120)) == 0, "\(run.tail(10))")
        let took = stopping.duration(to: .now)
        let statuses = await resting.mine().map(\.status)
        #expect(statuses == Array(repeating: .canceled, count: 48), "\(statuses)")
        #expect(!run.output.contains { $0.contains("WARNING shutdown") }, "\(run.tail(10))")
        #expect(took < .seconds(19), "\(took)")
        #expect(resting.demo.server.faults.requests("DELETE /portfolio/events/orders/batched") >= 3)
        // (Not an exact count: a cancel whose answer a loaded machine lost is tried again and refused as ended.)
        #expect(run.output.contains { $0.contains("shutdown: cancelled ") }, "\(run.tail(10))")
        try await resting.finish()
    }

    @Test("kill -9 with 48 GTC orders resting, restart against a venue taking 100 ms per request: the start-up asks about them together, cancels every one, and is ready in a third of one-by-one's 15 s")
    func restartCancelsManyStale() async throws {
        let resting = try await Self.restingGTC(48)
        #expect(await resting.run.stop(signal: SIGKILL) == SIGKILL)
        // Per stale order: its record (order, fills), the cancel, the record again: five requests, 0.5 s.
        for route in ["GET /portfolio/orders/{order_id}", "GET /portfolio/fills", "DELETE /portfolio/events/orders/{order_id}"] {
            try resting.demo.server.faults.apply(argument: "\(route)=latency_ms:100")
        }
        let fillReads = resting.demo.server.faults.requests("GET /portfolio/fills")
        let starting = ContinuousClock.now
        let next = try RunningCLI.launch(["--signals", try resting.dir.write("none2.jsonl", "")], environment: resting.environment,
                                         workingDirectory: resting.dir.path)
        _ = try await next.waitForLine(containing: "state ready", timeout: .seconds(60))
        let took = starting.duration(to: .now)
        // One by one: 15 s (5 s of it spent reading the fills of orders the venue counts nothing filled of).
        #expect(took < .seconds(12), "\(took)")
        #expect(resting.demo.server.faults.requests("GET /portfolio/fills") - fillReads < 48, "no fills read for an order with none")
        #expect(next.output.contains { $0.contains("reconciled 48 order(s), 0 unresolved") }, "\(next.tail(10))")
        #expect(await resting.mine().map(\.status) == Array(repeating: .canceled, count: 48))
        let states = try await Self.journaledOrders(resting.dir).compactMap { $0["state"] as? String }
        #expect(states == Array(repeating: "canceled", count: 48), "\(states)")
        #expect(await next.stop(signal: SIGTERM) == 0)
        try await resting.finish()
    }

    @Test("SIGTERM during a burst: a clean exit, no resting order on the venue, every journaled order final")
    func sigtermDuringBurst() async throws {
        let (production, demo) = try await Self.venues(offered: "500")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lines = (1...40).map { Self.signal("b-\($0)", "BUY_YES", yesAsk: 46, noAsk: 56, contracts: 1) }
        let file = try dir.write("burst.jsonl", lines.joined(separator: "\n") + "\n")
        let environment = try Self.environment(data: production, trading: demo, dir: dir)
        let run = try RunningCLI.launch(["--signals", file], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "TRADE b-")
        let status = await run.stop(signal: SIGTERM)
        #expect(status == 0, "\(run.tail(10))")
        #expect(run.output.contains { $0.contains("shutdown: cancelled") })
        let account = demo.credentials.keyID.rawValue
        let resting = try await demo.exchange.orders(account: account, ticker: nil, status: "resting", cursor: nil, limit: 100).get().orders
        #expect(resting.isEmpty)
        let states = try await Self.journaledOrders(dir).compactMap { $0["state"] as? String }
        #expect(!states.isEmpty)
        #expect(states.allSatisfy { ["filled", "canceled", "rejected", "expired"].contains($0) }, "\(states)")
        let venueOrders = try await demo.exchange.orders(account: account, ticker: nil, status: nil, cursor: nil, limit: 200).get().orders
        #expect(venueOrders.count == states.count, "every venue order is journaled and none twice")
        await production.stop()
        await demo.stop()
    }
}

extension HybridRunCLITests {
    @Test("TS-26 kill -9 during a burst, restart: nothing journaled is lost, nothing is duplicated on the venue, every order settled")
    func killDuringBurst() async throws {
        let (production, demo) = try await Self.venues(offered: "1000")
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let lines = (1...200).map { Self.signal("k-\($0)", "BUY_YES", yesAsk: 46, noAsk: 56, contracts: 1) }
        let file = try dir.write("burst.jsonl", lines.joined(separator: "\n") + "\n")
        let environment = try Self.environment(data: production, trading: demo, dir: dir)
        let run = try RunningCLI.launch(["--signals", file], environment: environment, workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "TRADE k-20 ")
        #expect(await run.stop(signal: SIGKILL) == SIGKILL)

        // An order whose intent was logged but that the venue never saw is `not_placed` once the venue has not
        // known it for the whole absent window (1 s here; 60 s by default), never guessed before.
        var restartEnvironment = environment
        restartEnvironment["ORDER_ABSENT_WINDOW_SECONDS"] = "1"
        let restart = try await CLIProcess.runDetached(["--signals", dir.write("none.jsonl", ""), "--duration", "3"], environment: restartEnvironment,
                                                       workingDirectory: dir.path)
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(restart.stdout.contains("0 position drift(s)"), "\(restart.stdout)")
        let account = demo.credentials.keyID.rawValue
        let venueOrders = try await demo.exchange.orders(account: account, ticker: nil, status: nil, cursor: nil, limit: 1_000).get().orders
        #expect(Set(venueOrders.map(\.clientOrderID)).count == venueOrders.count, "no client_order_id twice on the venue")
        let orders = try await Self.journaledOrders(dir)
        let journaled = Set(orders.compactMap { $0["client_order_id"] as? String })
        #expect(Set(venueOrders.map(\.clientOrderID)).isSubset(of: journaled), "every venue order is in the journal")
        #expect(orders.allSatisfy { ["filled", "canceled", "rejected", "expired", "not_placed"].contains($0["state"] as? String ?? "") },
                "\(orders.map { $0["state"] ?? "?" })")
        let journaledFills = orders.reduce(0) { $0 + (($1["fills"] as? [Any])?.count ?? 0) }
        let venueFills = try await demo.exchange.fills(account: account, ticker: nil, orderID: nil, cursor: nil, limit: 1_000).get().fills
        #expect(journaledFills == venueFills.count, "no fill lost or doubled")
        await production.stop()
        await demo.stop()
    }
}
