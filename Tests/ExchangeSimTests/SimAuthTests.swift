import ExecutorTesting
import Foundation
import KalshiWire
import Testing
@testable import ExchangeSim

/// The simulator's signature check, fed the independent vectors at the moment they were signed.
@Suite("Simulator authentication")
struct SimAuthTests {
    static func router(now: Int64, window: Duration = .seconds(30)) throws -> SimRouter {
        let vectors = try AuthVectors.load()
        let keys = SimKeyRegistry(timestampWindow: window)
        try keys.register(keyID: vectors.key_id, publicKeyPEM: vectors.public_key_pem)
        var configuration = SimExchange.Configuration()
        configuration.now = { now }
        return SimRouter(exchange: SimExchange(configuration: configuration), keys: keys, faults: SimFaults(), tier: .prestige)
    }

    static func request(_ vector: AuthVectors.Case, keyID: String, query: [(String, String)] = []) -> SimHTTPRequest {
        SimHTTPRequest(method: vector.method, path: vector.path, query: query.map { (name: $0.0, value: $0.1) },
                       headers: ["kalshi-access-key": keyID, "kalshi-access-timestamp": vector.timestamp_ms,
                                 "kalshi-access-signature": vector.signature_b64],
                       body: Data())
    }

    static func status(_ reply: SimReply) -> Int {
        if case let .respond(status, _) = reply { return status }
        return -1
    }

    @Test("valid vectors pass; tampered ones (other timestamp, signed query, missing prefix) are 401")
    func vectors() async throws {
        let vectors = try AuthVectors.load()
        for vector in vectors.cases where vector.method == "GET" && vector.path.hasPrefix("/trade-api/v2/") {
            let router = try Self.router(now: try #require(Int64(vector.timestamp_ms)))
            let query: [(String, String)] = vector.why?.contains("query") == true ? [("limit", "5")] : []
            let status = Self.status(await router.handle(Self.request(vector, keyID: vectors.key_id, query: query)))
            if vector.valid {
                #expect(status == 200, "\(vector.path)")
            } else {
                #expect(status == 401, "\(vector.why ?? "")")
            }
        }
    }

    @Test("wrong key id, stale timestamp and missing headers are 401 with the error body")
    func refusals() async throws {
        let vectors = try AuthVectors.load()
        let valid = try #require(vectors.cases.first { $0.valid && $0.path.hasSuffix("/portfolio/balance") })
        let signedAt = try #require(Int64(valid.timestamp_ms))
        let wrongKey = try Self.router(now: signedAt)
        #expect(Self.status(await wrongKey.handle(Self.request(valid, keyID: "someone-else"))) == 401)
        let stale = try Self.router(now: signedAt + 31_000)
        let reply = await stale.handle(Self.request(valid, keyID: vectors.key_id))
        #expect(Self.status(reply) == 401)
        if case let .respond(_, body) = reply {
            let error = try KalshiJSON.decoder().decode(KalshiErrorBody.self, from: body)
            #expect(error.code == "unauthorized")
            #expect(error.details?.contains("timestamp") == true)
        }
        let anonymous = SimHTTPRequest(method: "GET", path: "/trade-api/v2/portfolio/balance", query: [], headers: [:], body: Data())
        #expect(Self.status(await stale.handle(anonymous)) == 401)
        let publicRead = SimHTTPRequest(method: "GET", path: "/trade-api/v2/markets", query: [], headers: [:], body: Data())
        #expect(Self.status(await stale.handle(publicRead)) == 200)
    }
}

@Suite("Simulator request validation")
struct SimRequestValidationTests {
    @Test("a malformed or out-of-range query parameter is a 400 naming it", arguments: [
        ("/trade-api/v2/markets", "limit", "abc"), ("/trade-api/v2/markets", "limit", "0"),
        ("/trade-api/v2/markets/KXNFL-26JAN11-BUF/orderbook", "depth", "x"), ("/trade-api/v2/events", "limit", "500"),
    ])
    func badQuery(path: String, name: String, value: String) async throws {
        let router = SimRouter(exchange: SimExchange(), keys: SimKeyRegistry(), faults: SimFaults(), tier: .prestige)
        let reply = await router.handle(SimHTTPRequest(method: "GET", path: path, query: [(name: name, value: value)], headers: [:], body: Data()))
        guard case let .respond(status, body) = reply else { Issue.record("no response"); return }
        #expect(status == 400)
        let error = try KalshiJSON.decoder().decode(KalshiErrorBody.self, from: body)
        #expect(error.code == "invalid_parameters")
        #expect(error.details?.contains(name) == true)
    }
}
