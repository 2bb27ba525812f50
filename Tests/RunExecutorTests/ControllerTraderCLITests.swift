import ExchangeSim
import Execution
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Synchronization
import Testing
import TraderLink

/// Controller and remote traders as processes on loopback: a controller (`TRADER_LISTEN`,
/// `CONTROLLER_PLATFORMS=polymarket`) routes each arb's Kalshi leg to a Kalshi trader process and executes
/// the Polymarket leg itself, on the two simulators (demo mode: real orders on them).
@Suite("run-executor: controller and remote traders", .serialized)
struct ControllerTraderCLITests {
    static let secret = "controller and traders share this secret"

    /// The controller's environment (its own journal and admin files in `dir`).
    static func controllerEnvironment(kalshi: SimFixture, poly: PolySimFixture, dir: TemporaryDirectory, extra: [String: String] = [:]) throws -> [String: String] {
        var environment = try ArbitrageCLITests.environment(kalshi: kalshi, poly: poly, dir: dir)
        environment.merge(["TRADER_LISTEN": "127.0.0.1:0", "TRADER_SECRET": secret, "CONTROLLER_PLATFORMS": "polymarket", "BEACON_PORT": "0"]) { $1 }
        environment.merge(extra) { $1 }
        return environment
    }

    /// A Kalshi trader's environment: the same Kalshi venue and account, its own journal and admin files.
    static func traderEnvironment(kalshi: SimFixture, poly: PolySimFixture, dir: TemporaryDirectory) throws -> [String: String] {
        var environment = try ArbitrageCLITests.environment(kalshi: kalshi, poly: poly, dir: dir)
        environment["JOURNAL_PATH"] = dir.path + "/trader.sqlite"
        environment["ADMIN_TOKEN_FILE"] = dir.path + "/trader.token"
        environment["TRADER_SECRET"] = secret
        return environment
    }

    /// Starts the controller and waits until it listens; its trader URL.
    static func startController(_ environment: [String: String], dir: TemporaryDirectory) async throws -> (RunningCLI, String) {
        let run = try RunningCLI.launch(["--signals", try dir.write("none.jsonl", "")], environment: environment, workingDirectory: dir.path)
        let line: String
        do { line = try await run.waitForLine(containing: "[TRADERS] listening for traders on ws://127.0.0.1:") } catch {
            Issue.record("the controller did not start listening: \(run.output.prefix(30).joined(separator: "\n"))\(run.crashReport)")
            throw error
        }
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("ws://") }.map(String.init))
        _ = try await run.waitForLine(containing: "state ready")
        return (run, url)
    }

    /// Both simulators with offers, a controller and one trader connected to it, each in its own directory.
    struct Deployment {
        let kalshi: SimFixture, poly: PolySimFixture, spec: PolySimMarketSpec
        let controllerDir: TemporaryDirectory, traderDir: TemporaryDirectory
        let controller: RunningCLI, trader: RunningCLI, url: String

        func finish() async {
            _ = await trader.stop()
            _ = await controller.stop()
            await poly.stop()
            await kalshi.stop()
            controllerDir.remove()
            traderDir.remove()
        }
    }

    static func deploy(trading platform: Platform, controller controllerExtra: [String: String] = [:], trader traderExtra: [String: String] = [:],
                       controllerHasKalshiAccount: Bool = true, controllerWithout removed: [String] = []) async throws -> Deployment {
        let (kalshi, poly, spec) = try await ArbitrageCLITests.venuesWithOffers()
        let controllerDir = try TemporaryDirectory(), traderDir = try TemporaryDirectory()
        var environment = try controllerEnvironment(kalshi: kalshi, poly: poly, dir: controllerDir, extra: controllerExtra)
        for name in removed { environment[name] = nil }
        if !controllerHasKalshiAccount {
            // Kalshi market data from the (data) venue with the data credentials; no Kalshi trading key at all.
            environment.merge(["V3_HYBRID_MODE": "true", "KALSHI_DATA_API_URL": environment["KALSHI_API_URL"] ?? "",
                               "KALSHI_DATA_WS_URL": environment["KALSHI_WS_URL"] ?? "", "KALSHI_DATA_API_KEY_ID": environment["KALSHI_API_KEY_ID"] ?? "",
                               "KALSHI_DATA_PRIVATE_KEY_CONTENT": environment["KALSHI_PRIVATE_KEY_CONTENT"] ?? ""]) { $1 }
            environment["KALSHI_API_KEY_ID"] = nil
            environment["KALSHI_PRIVATE_KEY_CONTENT"] = nil
        }
        let (controller, url) = try await startController(environment, dir: controllerDir)
        var traderVariables = try traderEnvironment(kalshi: kalshi, poly: poly, dir: traderDir)
        traderVariables.merge(traderExtra) { $1 }
        let trader = try RunningCLI.launch(["trader", "--platform", platform.rawValue, "--controller", url], environment: traderVariables,
                                           workingDirectory: traderDir.path)
        _ = try await controller.waitForLine(containing: "[TRADERS] \(platform.rawValue) trader connected from 127.0.0.1:")
        _ = try await trader.waitForLine(containing: "[TRADER] connected to \(url): executing \(platform.rawValue) legs")
        return Deployment(kalshi: kalshi, poly: poly, spec: spec, controllerDir: controllerDir, traderDir: traderDir, controller: controller, trader: trader,
                          url: url)
    }

    static func postArb(_ dir: TemporaryDirectory, _ line: String) async throws {
        let (endpoint, token) = try HardeningCLITests.admin(in: dir.path)
        let posted = try await AdminCLITests.post(endpoint + "/signals", token: token, body: line)
        #expect(posted.status == 200 && posted.body.contains(#""accepted":1"#), "\(posted.body)")
    }

    static func kalshiOrders(_ kalshi: SimFixture) async -> [KalshiOrder] {
        (try? await kalshi.exchange.orders(account: kalshi.credentials.keyID.rawValue, ticker: nil, status: nil, cursor: nil, limit: 100).get().orders) ?? []
    }

    @Test("a Kalshi trader stopped while its venue does not answer cancels: it tries for 20 s, no longer, tells the controller, and names the order that may still rest")
    func traderStopCancelUnanswered() async throws {
        let deployment = try await Self.deploy(trading: .kalshi)
        let (kalshi, controller, trader) = (deployment.kalshi, deployment.controller, deployment.trader)
        defer { deployment.controllerDir.remove(); deployment.traderDir.remove() }
        let folder = deployment.traderDir.path
        let endpoint = try String(contentsOfFile: folder + "/admin.endpoint", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try String(contentsOfFile: folder + "/trader.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let placing = Task {
            try await AdminCLITests.post(endpoint + "/orders", token: token,
                                         body: #"{"intent":"buy-yes","ticker":"\#(ArbitrageCLITests.ticker)","count":"1","price":"0.02","tif":"gtc"}"#)
        }
        #expect(await eventually(timeout: .seconds(30)) { await Self.kalshiOrders(kalshi).contains { $0.clientOrderID.hasPrefix("manual-") && $0.status == .resting } })
        // Every cancel is held past the request timeout, every try of it.
        try kalshi.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=latency_ms:120000")
        let stopping = ContinuousClock.now
        #expect(await trader.stop(signal: SIGTERM, killAfter: .seconds(120)) == 0, "\(trader.tail(10))")
        let took = stopping.duration(to: .now)
        // Unbounded: the trader link's pass alone took every try (3 × the 10 s request timeout).
        #expect(took >= .seconds(19) && took < .seconds(45), "\(took)")
        #expect(trader.output.contains { $0.contains("[TRADER] shutdown: cancelled 0 resting order(s); the controller was told") }, "\(trader.tail(10))")
        #expect(trader.output.contains { $0.contains("WARNING shutdown: 1 order(s) may still rest on the venue") }, "\(trader.tail(10))")
        _ = try await controller.waitForLine(containing: "is shutting down (trader stopping); it cancelled 0 resting order(s)")
        #expect(await controller.stop() == 0)
        _ = try? await placing.value
        await kalshi.stop()
        await deployment.poly.stop()
    }

    @Test("an arb's Kalshi leg executes in the Kalshi trader and its Polymarket leg on the controller; both journaled by the controller, the Kalshi order by the trader too; report complete; status lists the trader")
    func hybridArb() async throws {
        let deployment = try await Self.deploy(trading: .kalshi)
        let (kalshi, poly, spec, controllerDir, traderDir, controller, trader) = (deployment.kalshi, deployment.poly, deployment.spec, deployment.controllerDir,
                                                                                  deployment.traderDir, deployment.controller, deployment.trader)
        defer { controllerDir.remove(); traderDir.remove() }

        try await Self.postArb(controllerDir, ArbitrageCLITests.arb("hybrid-1", yesToken: spec.yesToken))
        _ = try await controller.waitForLine(containing: "ARB hybrid-1 nfl-buf filled: both legs filled 10.00")
        #expect(controller.output.contains { $0.contains("[REMOTE_EXEC]") && $0.contains("→ kalshi trader: buy 10.00 yes @ 0.40 \(ArbitrageCLITests.ticker)") },
                "\(controller.tail(20))")
        #expect(controller.output.contains { $0.contains("[HYBRID]") && $0.contains("polymarket leg executes locally") })
        #expect(trader.output.contains { $0.contains("[TRADER] leg ") && $0.contains("done, filled 10.00") }, "\(trader.tail(20))")
        let status = try await CLIProcess.runDetached(["status"], environment: ["ADMIN_TOKEN_FILE": controllerDir.path + "/admin.token"],
                                                      workingDirectory: controllerDir.path)
        #expect(status.stdout.contains("trader kalshi from 127.0.0.1:"), "\(status.stdout)")

        #expect(await trader.stop() == 0)
        _ = try await controller.waitForLine(containing: "is shutting down (trader stopping); it cancelled 0 resting order(s)")
        #expect(await controller.stop() == 0)

        // One Kalshi order on the venue, placed by the trader under its own id for the leg.
        let orders = await Self.kalshiOrders(kalshi)
        #expect(orders.count == 1 && orders.first?.clientOrderID.hasPrefix("t-") == true, "\(orders.map(\.clientOrderID))")
        // The controller's report: the arb with both legs filled, the Kalshi order and its fill journaled.
        let report = try await CLIProcess.runDetached(["report", "--json", "--journal", controllerDir.path + "/journal.sqlite"], workingDirectory: controllerDir.path)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let arb = try #require((json["arbs"] as? [[String: Any]])?.first)
        #expect(arb["outcome"] as? String == "filled")
        let legs = try #require(arb["legs"] as? [[String: Any]])
        #expect(legs.map { $0["filled"] as? String } == ["10.00", "10.00"])
        #expect(legs.map { $0["average_price"] as? String } == ["0.40", "0.55"])
        #expect(legs.first?["fees"] as? String == "0.17", "the trader's fee reached the controller's journal")
        let controllerJournal = try Journal(path: controllerDir.path + "/journal.sqlite", readOnly: true)
        let kalshiLeg = try #require(try controllerJournal.orders(signalID: "arb:hybrid-1").first { $0.platform == .kalshi })
        #expect(kalshiLeg.state == .filled && kalshiLeg.filled == Contracts(hundredths: 1_000))
        #expect(try controllerJournal.fills(kalshiLeg.clientOrderID).count == 1)
        // The trader journaled the same order.
        let traderJournal = try Journal(path: traderDir.path + "/trader.sqlite", readOnly: true)
        let traderOrder = try #require(try traderJournal.order("t-" + kalshiLeg.clientOrderID))
        #expect(traderOrder.state == .filled && traderOrder.filled == Contracts(hundredths: 1_000))
        await poly.stop()
        await kalshi.stop()
    }

    @Test("a controller with no Kalshi trading account (CONTROLLER_PLATFORMS=polymarket, hybrid market data only) needs no Kalshi key: its Kalshi legs go to the trader")
    func controllerWithoutKalshiAccount() async throws {
        let deployment = try await Self.deploy(trading: .kalshi, controllerHasKalshiAccount: false)
        #expect(deployment.controller.output.contains { $0.contains("controller: no local Kalshi trading") })
        try await Self.postArb(deployment.controllerDir, ArbitrageCLITests.arb("no-account-1", yesToken: deployment.spec.yesToken))
        _ = try await deployment.controller.waitForLine(containing: "ARB no-account-1 nfl-buf filled: both legs filled 10.00")
        await deployment.finish()
    }

    @Test("the mirror image: a Polymarket trader takes the Polymarket leg (signed and sent by the trader) while the controller, holding no Polymarket key, executes the Kalshi leg (CONTROLLER_PLATFORMS=kalshi)")
    func polymarketTrader() async throws {
        // The controller has no Polymarket key: Polymarket's market data is public, its orders are the trader's.
        let deployment = try await Self.deploy(trading: .polymarket, controller: ["CONTROLLER_PLATFORMS": "kalshi"], controllerWithout: ["POLY_PRIVATE_KEY_PATH"])
        let (kalshi, poly, spec, controllerDir, traderDir, controller, trader) = (deployment.kalshi, deployment.poly, deployment.spec, deployment.controllerDir,
                                                                                  deployment.traderDir, deployment.controller, deployment.trader)
        defer { controllerDir.remove(); traderDir.remove() }
        try await Self.postArb(controllerDir, ArbitrageCLITests.arb("poly-remote-1", yesToken: spec.yesToken))
        _ = try await controller.waitForLine(containing: "ARB poly-remote-1 nfl-buf filled: both legs filled 10.00")
        #expect(controller.output.contains { $0.contains("[REMOTE_EXEC]") && $0.contains("→ polymarket trader: buy 10.00 no @ 0.55") })
        #expect(controller.output.contains { $0.contains("[HYBRID]") && $0.contains("kalshi leg executes locally") })
        #expect(controller.output.contains { $0.contains("controller: no local Polymarket trading") })
        #expect(await trader.stop() == 0)
        #expect(await controller.stop() == 0)
        let journal = try Journal(path: controllerDir.path + "/journal.sqlite", readOnly: true)
        let legs = try journal.orders(signalID: "arb:poly-remote-1")
        #expect(legs.count == 2 && legs.allSatisfy { $0.state == .filled }, "\(legs)")
        let remote = try #require(legs.first { $0.platform == .polymarket })
        #expect(remote.side == .no && remote.ticker == spec.yesToken, "kept under the market's YES token, NO side, like a local Polymarket leg")
        #expect(try Journal(path: traderDir.path + "/trader.sqlite", readOnly: true).order("t-" + remote.clientOrderID)?.state == .filled)
        await poly.stop()
        await kalshi.stop()
    }

    @Test("TS-A3 across the link: a remote leg's balance is the one its trader reports (a paper trader with $1 of cash): the arb is refused before any leg")
    func remoteBalance() async throws {
        let deployment = try await Self.deploy(trading: .kalshi, trader: ["PAPER_TRADING": "true", "PAPER_STARTING_CASH": "1"])
        let (spec, controllerDir, controller, trader) = (deployment.spec, deployment.controllerDir, deployment.controller, deployment.trader)
        // The trader's balance reaches the controller right after init (status lists it).
        for _ in 0..<250 {
            let status = try await CLIProcess.runDetached(["status", "--json"], environment: ["ADMIN_TOKEN_FILE": controllerDir.path + "/admin.token"],
                                                          workingDirectory: controllerDir.path)
            if status.stdout.contains(#""kalshi":"1.00""#) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Self.postArb(controllerDir, ArbitrageCLITests.arb("poor-1", yesToken: spec.yesToken))
        let line = try await controller.waitForLine(containing: "ARB poor-1 nfl-buf aborted")
        #expect(line.contains("insufficient_balance: kalshi has 1.00"), "\(line)")
        #expect(!trader.output.contains { $0.contains("[TRADER] leg ") }, "no leg reached the trader")
        await deployment.finish()
    }

    @Test("TS-41 no Kalshi trader connected and CONTROLLER_PLATFORMS=polymarket: the whole arb is aborted before any leg is sent (no order on either venue)")
    func noExecutionPath() async throws {
        let (kalshi, poly, spec) = try await ArbitrageCLITests.venuesWithOffers()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (controller, _) = try await Self.startController(try Self.controllerEnvironment(kalshi: kalshi, poly: poly, dir: dir), dir: dir)
        try await Self.postArb(dir, ArbitrageCLITests.arb("no-path-1", yesToken: spec.yesToken))
        let line = try await controller.waitForLine(containing: "ARB no-path-1 nfl-buf aborted: no_execution_path")
        #expect(line.contains("no kalshi trader is connected and CONTROLLER_PLATFORMS does not authorise kalshi here"), "\(line)")
        let status = await controller.stop()
        #expect(status == 0, "\(controller.tail(15))")
        #expect(await Self.kalshiOrders(kalshi).isEmpty)
        let journal = try Journal(path: dir.path + "/journal.sqlite", readOnly: true)
        #expect(try journal.orders(signalID: "arb:no-path-1").isEmpty, "no leg was journaled as sent")
        let noBook = await poly.exchange.bookSummary(token: spec.noToken)
        #expect(noBook?.asks.map(\.size) == ["10"] || noBook?.asks.map(\.size) == ["10.00"], "the Polymarket offer is untouched: \(String(describing: noBook?.asks))")
        await poly.stop()
        await kalshi.stop()
    }

    @Test("TS-38 the trader is killed mid-leg: the controller records the leg ambiguous (never failed), resolves it from the trader's journal once the trader is back, and re-records the arb from its orders")
    func traderKilledMidLeg() async throws {
        let (kalshi, poly, spec) = try await ArbitrageCLITests.venuesWithOffers()
        let controllerDir = try TemporaryDirectory(), traderDir = try TemporaryDirectory()
        defer { controllerDir.remove(); traderDir.remove() }
        let (controller, url) = try await Self.startController(
            try Self.controllerEnvironment(kalshi: kalshi, poly: poly, dir: controllerDir, extra: ["ORDER_ABSENT_WINDOW_SECONDS": "600"]), dir: controllerDir)
        let traderEnvironment = try Self.traderEnvironment(kalshi: kalshi, poly: poly, dir: traderDir)
        let arguments = ["trader", "--platform", "kalshi", "--controller", url]
        let first = try RunningCLI.launch(arguments, environment: traderEnvironment, workingDirectory: traderDir.path)
        _ = try await controller.waitForLine(containing: "[TRADERS] kalshi trader connected")
        _ = try await first.waitForLine(containing: "executing kalshi legs")
        // The venue holds the order for 2 s before taking it: the trader dies in between.
        var slow = SimFaultRule()
        slow.latency = .seconds(2)
        kalshi.server.faults.set("POST /portfolio/events/orders", slow)
        try await Self.postArb(controllerDir, ArbitrageCLITests.arb("killed-1", yesToken: spec.yesToken))
        _ = try await first.waitForLine(containing: "[TRADER] leg ")
        try await Task.sleep(for: .milliseconds(300))
        _ = await first.stop(signal: SIGKILL)
        let unknown = try await controller.waitForLine(containing: "ARB killed-1 nfl-buf exposure_left")
        #expect(unknown.contains("outcome unknown"), "\(unknown)")
        #expect(controller.output.contains { $0.contains("[REMOTE_EXEC]") && $0.contains("outcome unknown") && $0.contains("disconnected before answering") })
        // The order reached the venue after all.
        for _ in 0..<200 where await Self.kalshiOrders(kalshi).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await Self.kalshiOrders(kalshi).count == 1)
        kalshi.server.faults.clear()

        let second = try RunningCLI.launch(arguments, environment: traderEnvironment, workingDirectory: traderDir.path)
        _ = try await second.waitForLine(containing: "executing kalshi legs")
        let resolved = try await controller.waitForLine(containing: "RESOLVED arb", timeout: .seconds(45))
        #expect(resolved.contains("filled (outcome was unknown)"), "\(resolved)")
        // The arb's record follows: both legs ended hedged.
        let rerecorded = try await controller.waitForLine(containing: "ARB killed-1 nfl-buf filled: re-recorded after")
        #expect(rerecorded.contains("both legs ended: 10.00 hedged"), "\(rerecorded)")
        #expect(await second.stop() == 0)
        #expect(await controller.stop() == 0)
        let journal = try Journal(path: controllerDir.path + "/journal.sqlite", readOnly: true)
        let leg = try #require(try journal.orders(signalID: "arb:killed-1").first { $0.platform == .kalshi })
        #expect(leg.state == .filled && leg.filled == Contracts(hundredths: 1_000), "\(leg)")
        let record = try #require(try journal.arbs().first { $0.arbID == "killed-1" })
        #expect(record.outcome == .filled && record.exposure == .zero && record.legs.map(\.filled) == ["10.00", "10.00"], "\(record)")
        #expect(await Self.kalshiOrders(kalshi).count == 1, "executed once")
        await poly.stop()
        await kalshi.stop()
    }
}

/// The trader's side through its real run, driven by a controller in the test (`TraderListener`).
@Suite("run-executor trader: legs, duplicates, dry run, discovery, bootstrap, wss", .serialized)
struct TraderCLITests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func leg(_ id: String, contracts: String = "10", price: String = "0.40") throws -> TraderMessage.ExecuteLeg {
        TraderMessage.ExecuteLeg(marketID: ArbitrageCLITests.ticker, legID: id, platform: .kalshi, action: .buy, side: .yes, price: try Price(parsing: price),
                                 contracts: try Contracts(parsing: contracts), instrument: ArbitrageCLITests.ticker, pairID: "nfl-buf", description: "Bills ML")
    }

    static func answer(_ outcome: RemoteLegAnswer) -> TraderMessage.LegResultMessage? {
        if case let .result(result) = outcome { return result }
        return nil
    }

    /// A free UDP port on 127.0.0.1.
    /// A port free for both TCP and UDP now, below the kernel's ephemeral range (32768–60999 here): no
    /// `bind(0)` in the run under test (its simulators, its admin port) can be handed it before the run binds
    /// it. A port picked by `bind(0)` could be, and was, now and then.
    static func fixedFreePort() throws -> Int {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000, using: &generator)
            if canBind(port, type: Int32(SOCK_STREAM.rawValue)), canBind(port, type: Int32(SOCK_DGRAM.rawValue)) { return port }
        }
        throw CocoaError(.featureUnsupported)
    }

    private static func canBind(_ port: Int, type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    @Test("TS-39 a leg id is executed once: a repeated execute_leg is answered from the trader's journal, also after the trader restarts; a leg for another platform is refused")
    func duplicateLeg() async throws {
        let (kalshi, poly, _) = try await ArbitrageCLITests.venuesWithOffers()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let registry = TraderRegistry(), log = Lines()
        let listener = try await TraderListener.start(host: "127.0.0.1", port: 0, secret: Array(ControllerTraderCLITests.secret.utf8), registry: registry, log: log.add)
        let environment = try ControllerTraderCLITests.traderEnvironment(kalshi: kalshi, poly: poly, dir: dir)
        let arguments = ["trader", "--platform", "kalshi", "--controller", "ws://127.0.0.1:\(listener.port)"]
        let trader = try RunningCLI.launch(arguments, environment: environment, workingDirectory: dir.path)
        _ = try await trader.waitForLine(containing: "executing kalshi legs")

        let first = try #require(Self.answer(await registry.execute(try Self.leg("dup-leg-1"), timeout: .seconds(20))))
        #expect(first.success && first.filled == "10.00" && first.fills?.count == 1 && first.fees == "0.17", "\(first)")
        let again = try #require(Self.answer(await registry.execute(try Self.leg("dup-leg-1"), timeout: .seconds(20))))
        #expect(again.filled == "10.00" && again.orderID == first.orderID, "the same order's result: \(again)")
        _ = try await trader.waitForLine(containing: "duplicate execute_leg dup-leg-1: already handled; answered from the journal, not executed again")
        var polyLeg = try Self.leg("poly-leg")
        polyLeg.platform = .polymarket
        polyLeg.ticker = nil
        polyLeg.token = "123"
        // A polymarket leg reaches only a polymarket trader: the registry has none.
        #expect(await registry.execute(polyLeg, timeout: .seconds(5)) == .notSent("no polymarket trader is connected"))
        #expect(await trader.stop() == 0)
        #expect(await ControllerTraderCLITests.kalshiOrders(kalshi).count == 1)

        // After a restart on the same journal: still not executed again.
        let restarted = try RunningCLI.launch(arguments, environment: environment, workingDirectory: dir.path)
        _ = try await restarted.waitForLine(containing: "executing kalshi legs")
        for _ in 0..<200 where await registry.platforms.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        let afterRestart = try #require(Self.answer(await registry.execute(try Self.leg("dup-leg-1"), timeout: .seconds(20))))
        #expect(afterRestart.filled == "10.00" && afterRestart.orderID == first.orderID, "\(afterRestart)")
        let status = try await registry.status("dup-leg-1", platform: .kalshi, timeout: .seconds(5))
        #expect(status.known && status.filled == "10.00")
        let unknown = try await registry.status("never-sent", platform: .kalshi, timeout: .seconds(5))
        #expect(!unknown.known, "a leg the trader never had is said to be unknown")
        #expect(await restarted.stop() == 0)
        #expect(await ControllerTraderCLITests.kalshiOrders(kalshi).count == 1, "one order on the venue for the leg id, across a restart")
        await listener.stop()
        await poly.stop()
        await kalshi.stop()
    }

    @Test("dry_run propagates: a controller with ARB_DRY_RUN tells its trader (found by beacon), which checks legs and sends nothing")
    func dryRunByBeacon() async throws {
        let (kalshi, poly, _) = try await ArbitrageCLITests.venuesWithOffers()
        let controllerDir = try TemporaryDirectory(), traderDir = try TemporaryDirectory()
        defer { controllerDir.remove(); traderDir.remove() }
        let beacon = try Self.fixedFreePort()
        var environment = try ControllerTraderCLITests.controllerEnvironment(kalshi: kalshi, poly: poly, dir: controllerDir,
                                                                             extra: ["ARB_DRY_RUN": "true", "BEACON_PORT": String(beacon)])
        environment["CONTROLLER_PLATFORMS"] = nil
        let (controller, url) = try await ControllerTraderCLITests.startController(environment, dir: controllerDir)
        _ = try await controller.waitForLine(containing: "[TRADERS] beacon: announcing port")
        var traderEnvironment = try ControllerTraderCLITests.traderEnvironment(kalshi: kalshi, poly: poly, dir: traderDir)
        traderEnvironment["BEACON_PORT"] = String(beacon)
        let trader = try RunningCLI.launch(["trader", "--platform", "kalshi"], environment: traderEnvironment, workingDirectory: traderDir.path)
        _ = try await trader.waitForLine(containing: "[TRADER] beacon: controller found at \(url)")
        _ = try await trader.waitForLine(containing: "as a DRY RUN (the controller's dry_run")
        // A single signal on the controller: its Kalshi order goes to the trader, which only checks it.
        let (endpoint, token) = try HardeningCLITests.admin(in: controllerDir.path)
        let posted = try await AdminCLITests.post(endpoint + "/signals", token: token, body: HardeningCLITests.signal("dry-1", contracts: "1"))
        #expect(posted.status == 200, "\(posted.body)")
        _ = try await trader.waitForLine(containing: "[TRADER] DRY RUN leg")
        _ = try await controller.waitForLine(containing: "[REMOTE_EXEC]")
        #expect(await trader.stop() == 0)
        #expect(await controller.stop() == 0)
        #expect(await ControllerTraderCLITests.kalshiOrders(kalshi).isEmpty, "nothing reached the venue")
        await poly.stop()
        await kalshi.stop()
    }

    @Test("bootstrap writes ~/.arb/config.toml from flags (0600, refuses to overwrite without --force); a controller run then listens on its ws_port and announces on its beacon_port")
    func bootstrap() async throws {
        let home = try TemporaryDirectory(), dir = try TemporaryDirectory()
        defer { home.remove(); dir.remove() }
        let beacon = try Self.fixedFreePort()
        var ws = try Self.fixedFreePort()
        while ws == beacon { ws = try Self.fixedFreePort() }
        let written = try await CLIProcess.runDetached(["bootstrap", "--role", "controller", "--beacon-port", String(beacon), "--ws-port", String(ws)],
                                                       environment: ["HOME": home.path], workingDirectory: dir.path)
        #expect(written.status == 0, "\(written.stderr)")
        let path = home.path + "/.arb/config.toml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("role = \"controller\"") && text.contains("beacon_port = \(beacon)") && text.contains("ws_port = \(ws)"), "\(text)")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try await CLIProcess.runDetached(["bootstrap", "--role", "trader"], environment: ["HOME": home.path], workingDirectory: dir.path)
        #expect(again.status == 2 && again.stderr.contains("--force"), "\(again.stderr)")

        let run = try RunningCLI.launch(["--admin-port", "0"], environment: ["HOME": home.path, "TRADER_SECRET": ControllerTraderCLITests.secret,
                                                                            "CONTROLLER_PLATFORMS": "kalshi,polymarket"], workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "[TRADERS] listening for traders on ws://127.0.0.1:\(ws)")
        _ = try await run.waitForLine(containing: "[TRADERS] beacon: announcing port \(ws) to udp://127.0.0.1:\(beacon)")
        let found = try await Beacon.discover(listeningOn: "127.0.0.1", port: beacon)
        #expect(found.url == "ws://127.0.0.1:\(ws)")
        #expect(await run.stop() == 0)

        let trader = try await CLIProcess.runDetached(["bootstrap", "--role", "trader", "--platform", "polymarket", "--force"], environment: ["HOME": home.path],
                                                      workingDirectory: dir.path)
        let rewritten = try String(contentsOfFile: path, encoding: .utf8)
        #expect(trader.status == 0 && rewritten.contains("platform = \"polymarket\""), "\(rewritten)")
    }

    @Test("wss://: a controller with TRADER_TLS_CERT/KEY serves TLS; a trader trusting TRADER_TLS_CA connects, one that does not is refused by TLS")
    func tls() async throws {
        let dir = try TemporaryDirectory(), traderDir = try TemporaryDirectory(), untrusting = try TemporaryDirectory()
        defer { dir.remove(); traderDir.remove(); untrusting.remove() }
        let made = try await CLIProcess.runTool(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                                                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", dir.path + "/key.pem", "-out", dir.path + "/cert.pem"])
        try #require(made.status == 0, "\(made.output)")
        let run = try RunningCLI.launch(["--admin-port", "0"], environment: [
            "TRADER_LISTEN": "127.0.0.1:0", "TRADER_SECRET": ControllerTraderCLITests.secret, "BEACON_PORT": "0", "CONTROLLER_PLATFORMS": "kalshi,polymarket",
            "LEG_ROUTING": "local-first", "TRADER_TLS_CERT": dir.path + "/cert.pem", "TRADER_TLS_KEY": dir.path + "/key.pem",
        ], workingDirectory: dir.path)
        let line = try await run.waitForLine(containing: "[TRADERS] listening for traders on wss://127.0.0.1:")
        let listened = try #require(line.split(separator: " ").first { $0.hasPrefix("wss://") }.map(String.init))
        // TLS names the controller by host name (an IP address cannot be sent as SNI).
        let url = listened.replacingOccurrences(of: "wss://127.0.0.1:", with: "wss://localhost:")
        _ = try await run.waitForLine(containing: "state ready")
        let byAddress = try await CLIProcess.runDetached(["trader", "--platform", "kalshi", "--controller", listened], workingDirectory: traderDir.path)
        #expect(byAddress.status == 2 && byAddress.stderr.contains("needs the controller's host name"), "\(byAddress.stderr)")
        let trader = try RunningCLI.launch(["trader", "--platform", "kalshi", "--controller", url, "--admin-port", "0"],
                                           environment: ["TRADER_SECRET": ControllerTraderCLITests.secret, "TRADER_TLS_CA": dir.path + "/cert.pem"],
                                           workingDirectory: traderDir.path)
        _ = try await trader.waitForLine(containing: "[TRADER] connected to \(url): executing kalshi legs")
        _ = try await run.waitForLine(containing: "[TRADERS] kalshi trader connected from 127.0.0.1:")
        let stranger = try RunningCLI.launch(["trader", "--platform", "polymarket", "--controller", url, "--admin-port", "0"],
                                             environment: ["TRADER_SECRET": ControllerTraderCLITests.secret], workingDirectory: untrusting.path)
        let refused = try await stranger.waitForLine(containing: "[TRADER] disconnected from \(url)")
        #expect(!refused.contains("executing"), "\(refused)")
        #expect(!run.output.contains { $0.contains("polymarket trader connected") }, "an unverified certificate never gets as far as the handshake")
        #expect(await stranger.stop() == 0)
        #expect(await trader.stop() == 0)
        #expect(await run.stop() == 0)
    }
}
