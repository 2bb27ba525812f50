import ExchangeSim
import ExecutorTesting
import Foundation
import Markets
import PolymarketClient
import PolymarketWire
import Testing

/// The commands with `--platform polymarket`, run as a user would, against the simulators.
@Suite("run-executor --platform polymarket")
struct PolymarketCLITests {
    static let slug = "nfl-buf-2026-01-11"

    static func spec() throws -> PolySimMarketSpec { try #require(PolySimCatalog.standard().first { $0.slug == slug }) }

    @Test("paper, embedded default: an order fills on the Polymarket simulator's book; positions and balance per venue; a NO token is the market's NO side")
    func paperEmbedded() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let spec = try Self.spec()
        let order = try await CLIProcess.runDetached(["order", "buy-yes", spec.yesToken, "--platform", "polymarket", "--count", "5", "--price", "0.95"],
                                                     workingDirectory: dir.path)
        #expect(order.status == 0, "\(order.stderr)\n\(order.stdout)")
        #expect(order.stdout.contains("→ filled filled=5.00"), "\(order.stdout)")
        // Buying the NO token by its own id: kept as NO under the market's YES token.
        let no = try await CLIProcess.runDetached(["order", "buy-yes", spec.noToken, "--platform", "poly", "--count", "2", "--price", "0.95"],
                                                  workingDirectory: dir.path)
        #expect(no.status == 0, "\(no.stderr)\n\(no.stdout)")
        let positions = try await CLIProcess.runDetached(["positions", "--json", "--platform", "polymarket"], workingDirectory: dir.path)
        #expect(positions.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"\#(spec.yesToken)":"3.00"}"#, "\(positions.stdout)")
        let kalshi = try await CLIProcess.runDetached(["positions", "--json"], workingDirectory: dir.path)
        #expect(kalshi.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "{}")
        let balance = try await CLIProcess.runDetached(["balance", "--platform", "polymarket"], workingDirectory: dir.path)
        #expect(balance.stdout.hasPrefix("paper cash 99"), "\(balance.stdout)")
        #expect(balance.stdout.contains("on polymarket"))
        let offTick = try await CLIProcess.runDetached(["order", "buy-yes", spec.yesToken, "--platform", "polymarket", "--count", "1", "--price", "0.505"],
                                                       workingDirectory: dir.path)
        #expect(offTick.status == 1)
    }

    @Test("demo: order, orders, positions, balance and cancel-all against the Polymarket simulator, API key derived through L1 at start-up")
    func demoAccount() async throws {
        let kalshi = try await SimFixture.start()
        let poly = try await PolySimFixture.start()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let vectors = try AuthVectors.load()
        let keyFile = dir.path + "/poly.key"
        _ = FileManager.default.createFile(atPath: keyFile, contents: Data((PolymarketVectors.privateKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let environment = [
            "ENVIRONMENT": "paper", "PAPER_TRADING": "false",
            "KALSHI_API_URL": kalshi.server.baseURL.absoluteString, "KALSHI_WS_URL": kalshi.server.webSocketURL.absoluteString,
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
            "POLY_CLOB_URL": poly.server.baseURL.absoluteString, "POLY_WS_URL": poly.server.webSocketURL.absoluteString,
            "POLY_GAMMA_URL": poly.server.gammaURL.absoluteString, "POLY_PRIVATE_KEY_PATH": keyFile,
            "JOURNAL_PATH": dir.path + "/journal.sqlite",
        ]
        let spec = try Self.spec()
        await poly.exchange.quote(spec.yesToken, .sell, price: price("0.47"), count: contracts("10"))
        let order = try await CLIProcess.runDetached(["order", "buy-yes", spec.yesToken, "--platform", "polymarket", "--count", "5", "--price", "0.50"],
                                                     environment: environment, workingDirectory: dir.path)
        #expect(order.status == 0, "\(order.stderr)\n\(order.stdout)")
        #expect(order.stdout.contains("→ filled filled=5.00 avg=0.47"), "\(order.stdout)")
        #expect(order.stdout.contains("derived through L1"), "the log says the credentials were derived")
        #expect(!order.stdout.contains(PolymarketVectors.privateKey.dropFirst(2)), "the key is never printed")
        #expect(await poly.exchange.balance(poly.signer.address, token: spec.yesToken) == 5_000_000)
        // Below the market's minimum (5 shares): refused before signing, in the venue's words.
        let small = try await CLIProcess.runDetached(["order", "buy-yes", spec.yesToken, "--platform", "polymarket", "--count", "4", "--price", "0.50"],
                                                     environment: environment, workingDirectory: dir.path)
        #expect(small.status == 1 && small.stdout.contains("lower than the minimum: 5"), "\(small.stdout)")

        let positions = try await CLIProcess.runDetached(["positions", "--json", "--platform", "polymarket"], environment: environment, workingDirectory: dir.path)
        #expect(positions.stdout.contains(#""\#(spec.yesToken)":"5.00""#), "\(positions.stdout)\(positions.stderr)")
        let balance = try await CLIProcess.runDetached(["balance", "--platform", "polymarket"], environment: environment, workingDirectory: dir.path)
        #expect(balance.stdout.contains("balance 99997.65 pUSD"), "\(balance.stdout)\(balance.stderr)")

        let client = try await poly.client()
        let market = PolyOrderBuilder.Market(tokenID: try #require(UInt256(decimal: spec.noToken)), tick: .cent, negRisk: false)
        let resting = try PolyOrderBuilder(signer: poly.signer).order(market, side: .buy, price: Dollars(micros: 100_000), size: Dollars(micros: 10_000_000),
                                                                       type: .gtc, nowMilliseconds: UInt64(Date().timeIntervalSince1970 * 1_000))
        _ = try await client.post(resting, type: .gtc)
        let listed = try await CLIProcess.runDetached(["orders", "--platform", "polymarket"], environment: environment, workingDirectory: dir.path)
        #expect(listed.stdout.contains(resting.orderID), "\(listed.stdout)\(listed.stderr)")
        let cancel = try await CLIProcess.runDetached(["cancel-all", "--platform", "polymarket"], environment: environment, workingDirectory: dir.path)
        #expect(cancel.stdout.contains("cancelled 1 open order(s)"), "\(cancel.stdout)\(cancel.stderr)")
        #expect(try await client.openOrders().isEmpty)
        await poly.stop()
        await kalshi.stop()
    }

    @Test("configuration: a production Polymarket CLOB is refused outside live mode; partial API credentials and a bad key are named")
    func configuration() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let production = try await CLIProcess.runDetached(["config", "check"], environment: [
            "ENVIRONMENT": "paper", "PAPER_TRADING": "false", "POLY_CLOB_URL": "https://clob.polymarket.com", "POLY_PRIVATE_KEY": PolymarketVectors.privateKey,
            "KALSHI_API_KEY_ID": "x", "KALSHI_PRIVATE_KEY_PATH": "/nonexistent",
        ], workingDirectory: dir.path)
        #expect(production.status == 2)
        #expect(production.stderr.contains("POLY_CLOB_URL") && production.stderr.contains("production"), "\(production.stderr)")
        let partial = try await CLIProcess.runDetached(["config", "check"], environment: [
            "POLY_API_KEY": "00000000-0000-0000-0000-000000000000", "POLY_PRIVATE_KEY": "0x1234",
        ], workingDirectory: dir.path)
        #expect(partial.status == 2)
        #expect(partial.stderr.contains("POLY_API_SECRET, POLY_API_PASSPHRASE"), "\(partial.stderr)")
        #expect(partial.stderr.contains("POLY_PRIVATE_KEY"), "\(partial.stderr)")
        #expect(!partial.stderr.contains("0x1234"))
        let vectors = try AuthVectors.load()
        let shown = try await CLIProcess.runDetached(["config", "check"], environment: [
            "KALSHI_API_KEY_ID": vectors.key_id, "KALSHI_PRIVATE_KEY_CONTENT": vectors.private_key_pkcs1_pem,
            "POLY_PRIVATE_KEY": PolymarketVectors.privateKey, "POLY_API_KEY": "abcd1234-0000-0000-0000-000000000000",
            "POLY_API_SECRET": "c2VjcmV0LXRoYXQtaXMtd3Jvbmc=", "POLY_API_PASSPHRASE": "passphrase-value",
        ], workingDirectory: dir.path)
        #expect(!shown.stdout.contains(PolymarketVectors.privateKey.dropFirst(2)) && !shown.stdout.contains("c2VjcmV0") && !shown.stdout.contains("passphrase-value"),
                "\(shown.stdout)")
        #expect(shown.stdout.contains("POLY_PRIVATE_KEY"), "\(shown.stdout)\(shown.stderr)")
    }

    @Test("sim --venue polymarket serves the CLOB on the port given, with faults in the Kalshi simulator's syntax")
    func simulatorCommand() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let running = try RunningCLI.launch(["sim", "--venue", "polymarket", "--port", "0", "--keys-dir", dir.path + "/keys", "--fault", "POST /order=drop:1"],
                                            workingDirectory: dir.path)
        let line = try await running.waitForLine(containing: "Polymarket simulator listening on")
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.flatMap { URL(string: String($0)) })
        let client = PolymarketClient(transport: PolyTransport(PolyTransport.Configuration(baseURL: url), signer: nil, credentials: nil))
        let book = try await client.book(Self.spec().yesToken)
        #expect(book.hash == book.computedHash && !book.bids.isEmpty)
        try await client.transport.shutdown()
        _ = try await running.waitForLine(containing: "POLY_PRIVATE_KEY_PATH=")
        #expect(await running.stop() == 0)
        let bad = try await CLIProcess.runDetached(["sim", "--venue", "polymarket", "--port", "0", "--fault", "POST /nowhere=drop:1", "--duration", "1"],
                                                   workingDirectory: dir.path)
        #expect(bad.status == 2 && bad.stderr.contains("unknown route"), "\(bad.stderr)")
    }
}
