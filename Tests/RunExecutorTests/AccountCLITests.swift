import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing
import TradingClient

/// `order`, `positions`, `balance`, `orders` and `cancel-all`: paper (journal) and demo (a simulator).
@Suite("run-executor: manual orders and account commands")
struct AccountCLITests {
    static let ticker = "KXNFL-26JAN11-BUF"

    @Test("paper: a manual order goes through the journal; positions and balance read it; off-grid is refused")
    func paperAccount() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let order = try await CLIProcess.runDetached(["order", "buy-yes", Self.ticker, "--count", "2", "--price", "0.99"], workingDirectory: dir.path)
        #expect(order.status == 0, "\(order.stderr)")
        #expect(order.stdout.contains("buy-yes \(Self.ticker) 2.00 @ 0.99 → filled filled=2.00"))
        let positions = try await CLIProcess.runDetached(["positions", "--json"], workingDirectory: dir.path)
        #expect(positions.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"\#(Self.ticker)":"2.00"}"#)
        let balance = try await CLIProcess.runDetached(["balance"], workingDirectory: dir.path)
        #expect(balance.stdout.hasPrefix("paper cash 99"), "\(balance.stdout)")
        let offGrid = try await CLIProcess.runDetached(["order", "buy-no", Self.ticker, "--count", "1", "--price", "0.505"], workingDirectory: dir.path)
        #expect(offGrid.status == 1)
        #expect(offGrid.stdout.contains("→ rejected"))
        // A paper GTC order is worked like a venue order: ORDER_TIMEOUT_SECONDS, then the remainder is cancelled.
        let resting = try await CLIProcess.runDetached(["order", "buy-yes", Self.ticker, "--count", "3", "--price", "0.02", "--tif", "gtc"],
                                                       environment: ["ORDER_TIMEOUT_SECONDS": "1"], workingDirectory: dir.path)
        #expect(resting.stdout.contains("→ canceled filled=0.00") && resting.stdout.contains("timed out after 1"), "\(resting.stdout)")
        let orders = try await CLIProcess.runDetached(["orders"], workingDirectory: dir.path)
        #expect(orders.stdout.contains("3.00 @ 0.02 → canceled"), "the journal does not keep a paper order the process took with it")
        let bad = try await CLIProcess.runDetached(["order", "buy-no", Self.ticker, "--count", "-1", "--price", "0.5"], workingDirectory: dir.path)
        #expect(bad.status == 2 && bad.stderr.contains("--count"))
    }

    /// Demo orders on `sim` (the signing-vector key), journaled in `dir`.
    static func demo(_ sim: SimFixture, _ dir: TemporaryDirectory) throws -> [String: String] {
        let vectors = try AuthVectors.load()
        return [
            "ENVIRONMENT": "paper", "PAPER_TRADING": "false",
            "KALSHI_API_URL": sim.server.baseURL.absoluteString, "KALSHI_WS_URL": sim.server.webSocketURL.absoluteString,
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
            "JOURNAL_PATH": dir.path + "/journal.sqlite",
        ]
    }

    @Test("demo: a GTC order's timeout cancel answered 503 twice is tried again: the remainder is cancelled on the venue, the order final")
    func timeoutCancelRetried() async throws {
        let sim = try await SimFixture.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try sim.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=unavailable:2")
        let resting = try await CLIProcess.runDetached(["order", "buy-yes", Self.ticker, "--count", "3", "--price", "0.02", "--tif", "gtc"],
                                                       environment: try Self.demo(sim, dir).merging(["ORDER_TIMEOUT_SECONDS": "1"]) { _, new in new },
                                                       workingDirectory: dir.path)
        #expect(resting.stdout.contains("→ canceled filled=0.00") && !resting.stdout.contains("outcome unknown"), "\(resting.stdout)\(resting.stderr)")
        #expect(sim.server.faults.requests("DELETE /portfolio/events/orders/{order_id}") == 3, "two 503s, then the cancel")
        let venue = try await sim.exchange.orders(account: sim.credentials.keyID.rawValue, ticker: nil, status: nil, cursor: nil, limit: 100).get().orders
        #expect(venue.map(\.status) == [.canceled], "nothing left resting: \(venue.map(\.status))")
        await sim.stop()
    }

    @Test("demo: a GTC order whose timeout cancel meets a 503 on every try is not left resting when the command exits: asked about once more, it is cancelled")
    func timeoutCancelExhaustedCommand() async throws {
        let sim = try await SimFixture.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try sim.server.faults.apply(argument: "DELETE /portfolio/events/orders/{order_id}=unavailable:3")
        let resting = try await CLIProcess.runDetached(["order", "buy-yes", Self.ticker, "--count", "3", "--price", "0.02", "--tif", "gtc"],
                                                       environment: try Self.demo(sim, dir).merging(["ORDER_TIMEOUT_SECONDS": "1"]) { _, new in new },
                                                       workingDirectory: dir.path)
        #expect(resting.stdout.contains("(outcome was unknown)") && resting.stdout.contains(": canceled"), "\(resting.stdout)\(resting.stderr)")
        #expect(resting.stdout.contains("→ canceled filled=0.00") && resting.stdout.contains("asked again before exit: canceled"), "\(resting.stdout)")
        #expect(sim.server.faults.requests("DELETE /portfolio/events/orders/{order_id}") == 4, "three 503s, then the cancel of the last ask")
        let venue = try await sim.exchange.orders(account: sim.credentials.keyID.rawValue, ticker: nil, status: nil, cursor: nil, limit: 100).get().orders
        #expect(venue.map(\.status) == [.canceled], "nothing left resting: \(venue.map(\.status))")
        let report = try await CLIProcess.runDetached(["report", "--json"], environment: try Self.demo(sim, dir), workingDirectory: dir.path)
        #expect(report.stdout.contains(#""state":"canceled""#), "\(report.stdout)\(report.stderr)")
        await sim.stop()
    }

    @Test("demo: order, orders, positions, balance and cancel-all against the trading venue")
    func demoAccount() async throws {
        let sim = try await SimFixture.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let environment = try Self.demo(sim, dir)
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "mm", side: .ask,
                                                                                 count: contracts("10"), price: price("0.47"), timeInForce: .goodTillCanceled))
        let order = try await CLIProcess.runDetached(["order", "buy-yes", Self.ticker, "--count", "4", "--price", "0.50"],
                                                     environment: environment, workingDirectory: dir.path)
        #expect(order.status == 0, "\(order.stderr)")
        #expect(order.stdout.contains("→ filled filled=4.00 avg=0.47"))
        let positions = try await CLIProcess.runDetached(["positions", "--json"], environment: environment, workingDirectory: dir.path)
        #expect(positions.stdout.contains(#""\#(Self.ticker)":"4.00""#))
        let balance = try await CLIProcess.runDetached(["balance"], environment: environment, workingDirectory: dir.path)
        #expect(balance.status == 0 && balance.stdout.hasPrefix("balance "))

        let client = try KalshiTradingClient(transport: sim.transport(), allowsProduction: false)
        _ = try await client.createOrder(OrderIntent(ticker: Self.ticker, action: .buy, side: .yes, price: price("0.30"), count: contracts("3"),
                                                     timeInForce: .goodTillCanceled, clientOrderID: "resting-1"), grid: .linearCent)
        let listed = try await CLIProcess.runDetached(["orders"], environment: environment, workingDirectory: dir.path)
        #expect(listed.stdout.contains("resting-1") && !listed.stdout.contains("manual-"))
        let cancel = try await CLIProcess.runDetached(["cancel-all"], environment: environment, workingDirectory: dir.path)
        #expect(cancel.stdout.contains("cancelled 1 resting order(s)"))
        #expect(try await client.orders(OrderFilter(status: .resting)).collect().isEmpty)
        try await client.shutdown()
        await sim.stop()
    }
}
