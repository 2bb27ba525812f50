import ExecutorTesting
import Foundation
import Testing
@testable import KalshiWire

@Suite("RSA-PSS request signing")
struct SignerTests {
    @Test("verifier accepts the independent signatures and rejects the tampered ones")
    func vectors() throws {
        let vectors = try AuthVectors.load()
        let verifier = try KalshiSignatureVerifier(publicKeyPEM: vectors.public_key_pem)
        #expect(vectors.cases.contains { $0.valid } && vectors.cases.contains { !$0.valid })
        for vector in vectors.cases {
            let timestamp = try #require(Int64(vector.timestamp_ms))
            let message = KalshiSigner.message(timestampMilliseconds: timestamp, method: vector.method, path: vector.path)
            #expect(message == vector.message, "message construction for \(vector.path)")
            #expect(verifier.isValid(signatureBase64: vector.signature_b64, message: message) == vector.valid,
                    "\(vector.method) \(vector.path): \(vector.why ?? "valid")")
        }
    }

    @Test("PKCS#1 and PKCS#8 keys, OpenSSL and BoringSSL, all sign what the verifier accepts",
          arguments: [false, true], KalshiSigner.Backend.allCases)
    func signAndVerify(pkcs8: Bool, backend: KalshiSigner.Backend) throws {
        let vectors = try AuthVectors.load()
        let key = try KalshiPrivateKey(pem: pkcs8 ? vectors.private_key_pkcs8_pem : vectors.private_key_pkcs1_pem)
        let signer = KalshiSigner(credentials: KalshiCredentials(keyID: try #require(KalshiKeyID(vectors.key_id)), privateKey: key), backend: backend)
        #expect(signer.backend == backend, "the OpenSSL path is available")
        let headers = try signer.headers(method: "post", path: "/trade-api/v2/portfolio/events/orders?x=1", timestampMilliseconds: 1_763_700_000_000)
        #expect(headers.key == vectors.key_id)
        #expect(headers.timestamp == "1763700000000")
        let verifier = try KalshiSignatureVerifier(publicKeyPEM: vectors.public_key_pem)
        // The query string is not signed, the method is upper-cased.
        #expect(verifier.isValid(signatureBase64: headers.signature, message: "1763700000000POST/trade-api/v2/portfolio/events/orders"))
        #expect(!verifier.isValid(signatureBase64: headers.signature, message: "1763700000000POST/trade-api/v2/portfolio/events/orders?x=1"))
        #expect(headers.pairs.map(\.name) == ["KALSHI-ACCESS-KEY", "KALSHI-ACCESS-TIMESTAMP", "KALSHI-ACCESS-SIGNATURE"])
        #expect(key.publicKeyPEM.contains("BEGIN PUBLIC KEY"))
    }

    @Test("the independent verifier (Python cryptography's vectors) and our signatures agree across backends")
    func crossBackend() throws {
        let vectors = try AuthVectors.load()
        let key = try KalshiPrivateKey(pem: vectors.private_key_pkcs1_pem)
        let credentials = KalshiCredentials(keyID: try #require(KalshiKeyID(vectors.key_id)), privateKey: key)
        let verifier = try KalshiSignatureVerifier(publicKeyPEM: vectors.public_key_pem)
        for vector in vectors.cases where vector.valid {
            for backend in KalshiSigner.Backend.allCases {
                let signature = try KalshiSigner(credentials: credentials, backend: backend).signature(for: vector.message)
                #expect(verifier.isValid(signatureBase64: signature, message: vector.message), "\(backend) \(vector.path)")
                #expect(signature != vector.signature_b64, "PSS is randomised")
            }
        }
    }

    @Test("malformed base64 is simply invalid")
    func malformedSignature() throws {
        let verifier = try KalshiSignatureVerifier(publicKeyPEM: try AuthVectors.load().public_key_pem)
        #expect(!verifier.isValid(signatureBase64: "%%%not-base64", message: "x"))
        #expect(!verifier.isValid(signatureBase64: "", message: "x"))
    }

    @Test("signed path drops the query string only")
    func signedPath() {
        #expect(KalshiSigner.signedPath("/trade-api/v2/markets?limit=5&cursor=abc") == "/trade-api/v2/markets")
        #expect(KalshiSigner.signedPath("/trade-api/ws/v2") == "/trade-api/ws/v2")
    }
}

@Suite("Credentials never print their secrets")
struct RedactionTests {
    @Test("key id shows four characters, private key shows nothing")
    func redaction() throws {
        let vectors = try AuthVectors.load()
        let keyID = try #require(KalshiKeyID("a952bcbe-ec3b-4b5b-b8f9-11dae589608c"))
        let key = try KalshiPrivateKey(pem: vectors.private_key_pkcs1_pem)
        let credentials = KalshiCredentials(keyID: keyID, privateKey: key)
        let body = vectors.private_key_pkcs1_pem.split(separator: "\n")[1]
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [String(describing: credentials), String(reflecting: credentials), dumped, "\(keyID)", String(reflecting: keyID)] {
            #expect(!text.contains("bcbe-ec3b"), "key id leaked: \(text)")
            #expect(!text.contains(body), "private key leaked")
            #expect(!text.contains("BEGIN"), "PEM leaked")
        }
        #expect(String(describing: credentials).contains("a952…"))
    }

    @Test("bad keys are refused without echoing them", arguments: [
        "", "not a key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwRJ1\n-----END PUBLIC KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LXNlY3JldC1zZWNyZXQ=\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----",
    ])
    func badKeys(pem: String) {
        do {
            _ = try KalshiPrivateKey(pem: pem)
            Issue.record("accepted a bad key")
        } catch {
            #expect(!error.description.contains("c2VjcmV0"))
            #expect(!error.description.contains("MC4CAQAw"))
            #expect(error.description.contains("RSA"))
        }
    }

    @Test("key ids must be non-empty without whitespace")
    func keyIDs() {
        #expect(KalshiKeyID("") == nil)
        #expect(KalshiKeyID("abc def") == nil)
        #expect(KalshiKeyID("abcd-1234")?.redacted == "abcd…")
    }

    @Test("production hosts are recognised", arguments: [
        ("https://external-api.kalshi.com/trade-api/v2", true), ("https://API.ELECTIONS.KALSHI.COM/trade-api/v2", true),
        ("wss://external-api-ws.kalshi.com/trade-api/ws/v2", true), ("https://trading-api.kalshi.com/trade-api/v2", true),
        ("https://external-api.kalshi.com./trade-api/v2", true),
        ("https://external-api.demo.kalshi.co/trade-api/v2", false), ("https://demo-api.kalshi.co/trade-api/v2", false),
        ("http://127.0.0.1:8088/trade-api/v2", false),
    ])
    func hosts(url: String, production: Bool) throws {
        #expect(KalshiHosts.isProduction(try #require(URL(string: url))) == production)
    }
}
