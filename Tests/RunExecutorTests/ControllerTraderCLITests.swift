import ExchangeSim
import Execution
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing

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
        let line = try await run.waitForLine(containing: "[TRADERS] listening for traders on ws://127.0.0.1:")
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("ws://") }.map(String.init))
        _ = try await run.waitForLine(containing: "state ready")
        return (run, url)
    }

    static func postArb(_ dir: TemporaryDirectory, _ line: String) async throws {
        let endpoint = try String(contentsOfFile: dir.path + "/admin.endpoint", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let token = try String(contentsOfFile: dir.path + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let posted = try await AdminCLITests.post(endpoint + "/signals", token: token, body: line)
        #expect(posted.status == 200 && posted.body.contains(#""accepted":1"#), "\(posted.body)")
    }

    static func kalshiOrders(_ kalshi: SimFixture) async -> [KalshiOrder] {
        (try? await kalshi.exchange.orders(account: kalshi.credentials.keyID.rawValue, ticker: nil, status: nil, cursor: nil, limit: 100).get().orders) ?? []
    }

    @Test("an arb's Kalshi leg executes in the Kalshi trader and its Polymarket leg on the controller; both journaled by the controller, the Kalshi order by the trader too; report complete; status lists the trader")
    func hybridArb() async throws {
        let (kalshi, poly, spec) = try await ArbitrageCLITests.venuesWithOffers()
        let controllerDir = try TemporaryDirectory(), traderDir = try TemporaryDirectory()
        defer { controllerDir.remove(); traderDir.remove() }
        let (controller, url) = try await Self.startController(try Self.controllerEnvironment(kalshi: kalshi, poly: poly, dir: controllerDir), dir: controllerDir)
        let trader = try RunningCLI.launch(["trader", "--platform", "kalshi", "--controller", url],
                                           environment: try Self.traderEnvironment(kalshi: kalshi, poly: poly, dir: traderDir), workingDirectory: traderDir.path)
        _ = try await controller.waitForLine(containing: "[TRADERS] kalshi trader connected from 127.0.0.1:")
        _ = try await trader.waitForLine(containing: "[TRADER] connected to \(url): executing kalshi legs")

        try await Self.postArb(controllerDir, ArbitrageCLITests.arb("hybrid-1", yesToken: spec.yesToken))
        _ = try await controller.waitForLine(containing: "ARB hybrid-1 nfl-buf filled: both legs filled 10.00")
        #expect(controller.output.contains { $0.contains("[REMOTE_EXEC]") && $0.contains("→ kalshi trader: buy 10.00 yes @ 0.40 \(ArbitrageCLITests.ticker)") },
                "\(controller.output.suffix(20))")
        #expect(controller.output.contains { $0.contains("[HYBRID]") && $0.contains("polymarket leg executes locally") })
        #expect(trader.output.contains { $0.contains("[TRADER] leg ") && $0.contains("done, filled 10.00") }, "\(trader.output.suffix(20))")
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
        #expect(status == 0, "\(controller.output.suffix(15))")
        #expect(await Self.kalshiOrders(kalshi).isEmpty)
        let journal = try Journal(path: dir.path + "/journal.sqlite", readOnly: true)
        #expect(try journal.orders(signalID: "arb:no-path-1").isEmpty, "no leg was journaled as sent")
        let noBook = await poly.exchange.bookSummary(token: spec.noToken)
        #expect(noBook?.asks.map(\.size) == ["10"] || noBook?.asks.map(\.size) == ["10.00"], "the Polymarket offer is untouched: \(String(describing: noBook?.asks))")
        await poly.stop()
        await kalshi.stop()
    }

    @Test("TS-38 the trader is killed mid-leg: the controller records the leg ambiguous (never failed), and resolves it from the trader's journal once the trader is back")
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
        #expect(await second.stop() == 0)
        #expect(await controller.stop() == 0)
        let journal = try Journal(path: controllerDir.path + "/journal.sqlite", readOnly: true)
        let leg = try #require(try journal.orders(signalID: "arb:killed-1").first { $0.platform == .kalshi })
        #expect(leg.state == .filled && leg.filled == Contracts(hundredths: 1_000), "\(leg)")
        #expect(await Self.kalshiOrders(kalshi).count == 1, "executed once")
        await poly.stop()
        await kalshi.stop()
    }
}
