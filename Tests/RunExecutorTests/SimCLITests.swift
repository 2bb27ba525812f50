import ExecutorTesting
import Foundation
import KalshiWire
import Testing

@Suite("run-executor sim")
struct SimCLITests {
    static let root = CLIProcess.packageRoot(from: #filePath)

    @Test("generated keys: written 0600, and an independent Python client trades with them")
    func generatedKeysAndReferenceClient() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sim = try RunningCLI.launch(["sim", "--port", "0", "--activity-ms", "0", "--duration", "60"], workingDirectory: dir.path)
        let listening = try await sim.waitForLine(containing: "listening on ")
        let urlText = try #require(listening.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") })
        let baseURL = String(urlText)
        let keyLine = try await sim.waitForLine(containing: "Generated key sim-trader-")
        let parts = keyLine.split(separator: " ")
        let keyID = String(parts[2].dropLast())
        let relativePath = try #require(parts.last)
        let keyPath = (dir.path as NSString).appendingPathComponent(String(relativePath))
        let mode = try FileManager.default.attributesOfItem(atPath: keyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let (status, text) = try await CLIProcess.runTool(["python3", Self.root + "/tools/kalshi_reference_client.py", baseURL, keyID, keyPath,
                                                           "KXNFL-26JAN11-BUF"])
        #expect(status == 0, "\(text)")
        let summary = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(summary?["create_status"] as? Int == 201)
        #expect(summary?["order_status"] as? String == "resting")
        #expect(summary?["book_side"] as? String == "bid")
        #expect(summary?["yes_price"] as? String == "0.03")
        #expect(summary?["reduced_by"] as? String == "3.00")
        #expect(await sim.stop() == 0)
        #expect(sim.output.contains("Simulator stopped."))
    }

    @Test("--key-id/--public-key registers an existing key that our client signs for")
    func registeredKey() async throws {
        let vectors = try AuthVectors.load()
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pemPath = try dir.write("pub.pem", vectors.public_key_pem, mode: 0o644)
        let sim = try RunningCLI.launch(["sim", "--port", "0", "--activity-ms", "50", "--seed", "9",
                                         "--key-id", vectors.key_id, "--public-key", pemPath], workingDirectory: dir.path)
        let listening = try await sim.waitForLine(containing: "listening on ")
        let urlText = try #require(listening.split(separator: " ").first { $0.hasPrefix("http://127.0.0.1:") })
        let baseURL = try #require(URL(string: String(urlText)))
        let credentials = KalshiCredentials(keyID: try #require(KalshiKeyID(vectors.key_id)), privateKey: try KalshiPrivateKey(pem: vectors.private_key_pkcs8_pem))
        let transport = KalshiTransport(KalshiTransport.Configuration(baseURL: baseURL, credentials: credentials))
        let balance = try await transport.send(KalshiRequest(.get, "/portfolio/balance"), as: GetBalanceResponse.self)
        #expect(balance.balanceDollars.micros == 100_000 * 1_000_000)
        try await Task.sleep(for: .milliseconds(300))
        let trades = try await transport.send(KalshiRequest(.get, "/markets/trades", query: [("limit", "1000")]), as: GetTradesResponse.self)
        #expect(!trades.trades.isEmpty, "synthetic activity trades")
        try await transport.shutdown()
        #expect(await sim.stop(signal: SIGINT) == 0)
    }

    @Test("unpaired --key-id is a usage error (exit 2)")
    func unpaired() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try await CLIProcess.runDetached(["sim", "--key-id", "x"], workingDirectory: dir.path).status == 2)
    }
}
