import ExecutorTesting
import Synchronization
import Testing
@testable import KalshiWire

@Suite("Order signatures made ahead of time")
struct PresignerTests {
    static let path = "/trade-api/v2/portfolio/events/orders"

    final class WallClock: Sendable {
        let now = Mutex<Int64>(1_763_700_000_000)
        func advance(_ milliseconds: Int64) { now.withLock { $0 += milliseconds } }
        var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    static func presigner(_ clock: WallClock, depth: Int = 3, maxDepth: Int = 64, background: Bool = true) throws -> (Presigner, KalshiSignatureVerifier) {
        let vectors = try AuthVectors.load()
        let key = try KalshiPrivateKey(pem: vectors.private_key_pkcs1_pem)
        let signer = KalshiSigner(credentials: KalshiCredentials(keyID: try #require(KalshiKeyID(vectors.key_id)), privateKey: key))
        var settings = Presigner.Settings()
        settings.depth = depth
        settings.maxDepth = maxDepth
        settings.maxAge = .milliseconds(500)
        return (Presigner(signer: signer, method: "POST", path: path, settings: settings, wallClockMilliseconds: clock.read, background: background),
                try KalshiSignatureVerifier(publicKeyPEM: vectors.public_key_pem))
    }

    @Test("each presigned signature verifies for its own timestamp, method and path, and is handed out once")
    func handedOutOnce() throws {
        let clock = WallClock()
        let (presigner, verifier) = try Self.presigner(clock)
        defer { presigner.stop() }
        var seen: Set<String> = []
        for _ in 0..<3 {
            presigner.fill()
            #expect(presigner.stocked >= 3)
            for _ in 0..<3 {
                let headers = try #require(presigner.take())
                #expect(verifier.isValid(signatureBase64: headers.signature, message: headers.timestamp + "POST" + Self.path))
                #expect(headers.key == (try AuthVectors.load()).key_id)
                #expect(seen.insert(headers.signature).inserted, "a signature is never handed out twice")
            }
            clock.advance(10)
        }
    }

    @Test("a signature at or past maxAge is never handed out (the caller signs inline instead)")
    func neverStale() throws {
        let clock = WallClock()
        let (presigner, _) = try Self.presigner(clock)
        defer { presigner.stop() }
        presigner.fill()
        let signedAt = clock.read()
        clock.advance(500)
        // The background task may have re-signed at the new time meanwhile; the old stock must be gone.
        while let headers = presigner.take() {
            let stamp = try #require(Int64(headers.timestamp))
            #expect(stamp > signedAt && clock.read() - stamp < 500, "timestamp \(stamp) at \(clock.read())")
        }
        // A timestamp from the future (the wall clock stepped back) is not used either.
        presigner.fill()
        clock.advance(-1_000)
        #expect(presigner.take() == nil)
    }

    @Test("a take that finds the stock empty deepens it (up to maxDepth); signatures aging out unused shrink it back")
    func adaptiveDepth() throws {
        let clock = WallClock()
        let (presigner, _) = try Self.presigner(clock, depth: 2, maxDepth: 8, background: false)
        defer { presigner.stop() }
        func drain() -> Int {
            var taken = 0
            while presigner.take() != nil { taken += 1 }
            return taken
        }
        #expect(presigner.depth == 2)
        for expected in [2, 4, 8, 8] {
            presigner.fill()
            #expect(presigner.stocked == expected)
            #expect(drain() == expected)  // the last take finds none: the next stock is twice as deep, at most 8
        }
        #expect(presigner.depth == 8)
        presigner.fill()
        // Orders stop: past the refresh age the whole stock is replaced, at half the depth each time.
        for expected in [4, 2, 2] {
            clock.advance(260)
            presigner.fill()
            #expect(presigner.depth == expected)
            #expect(presigner.stocked == expected)
        }
    }

    @Test("stop discards the stock")
    func stopDiscards() throws {
        let (presigner, _) = try Self.presigner(WallClock())
        presigner.fill()
        presigner.stop()
        #expect(presigner.stocked == 0)
        #expect(presigner.take() == nil)
    }
}
