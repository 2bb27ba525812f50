import ExchangeSim
import ExecutorTesting
import Foundation
import KalshiWire
import Markets
import Testing

/// The simulator against Kalshi's official OpenAPI schemas, checked by an independent client.
@Suite("Simulator fidelity to Kalshi's OpenAPI schemas")
struct SimSchemaTests {
    static let root = CLIProcess.packageRoot(from: #filePath)
    static let ticker = "KXNFL-26JAN11-BUF"

    @Test("TS-65 every simulator response the project uses validates against Kalshi's OpenAPI schemas (independent Python client)")
    func responsesMatchTheSpec() async throws {
        let sim = try await SimFixture.start()
        // Liquidity for the client's crossing order, so fills, positions and trades are not empty.
        _ = await sim.exchange.createOrder(account: "mm", CreateOrderV2Request(ticker: Self.ticker, clientOrderID: "mm-ask", side: .ask,
                                                                                 count: contracts("5"), price: price("0.60"), timeInForce: .goodTillCanceled))
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let vectors = try AuthVectors.load()
        let keyPath = try dir.write("key.pem", vectors.private_key_pkcs1_pem)
        let result = try await CLIProcess.runTool([
            "python3", Self.root + "/tools/kalshi_schema_check.py", Self.root + "/tools/specs/kalshi-openapi.yaml",
            sim.server.baseURL.absoluteString, vectors.key_id, keyPath, Self.ticker,
        ])
        #expect(result.status == 0, "\(result.output)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "\(result.output)")
        let checked = summary["checked"] as? [String] ?? []
        #expect(checked.count >= 25, "\(checked)")
        for schema in ["GetMarketsResponse", "GetMarketResponse", "GetEventsResponse", "GetSeriesResponse", "GetTradesResponse",
                       "CreateOrderV2Response", "GetFillsResponse", "GetPositionsResponse", "GetAccountApiLimitsResponse", "ErrorResponse"] {
            #expect(checked.contains { $0.contains("(\(schema))") }, "\(schema) checked")
        }
        await sim.stop()
    }
}
