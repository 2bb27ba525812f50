import ExchangeSim
import Foundation
import KalshiWire
import Markets
import VenueTransport

/// A simulator on 127.0.0.1 with registered test accounts, and clients wired to it.
public struct SimFixture: Sendable {
    public let server: SimServer
    /// The main account: the test key of the signing vectors.
    public let credentials: KalshiCredentials
    /// A second, independent account (a counterparty).
    public let counterparty: KalshiCredentials

    public var exchange: SimExchange { server.exchange }
    public var faults: SimFaults { server.faults }

    /// Starts a simulator with two registered accounts (`rateLimits: false`: the venue's limits off).
    public static func start(_ configuration: SimExchange.Configuration = SimExchange.Configuration(),
                             tier: KalshiRateTier = .basic, timestampWindow: Duration = .seconds(30), rateLimits: Bool = true) async throws -> SimFixture {
        HTTPPipelineWarmUp.run()  // as run-executor does first: the simulators and clients here build pipelines on several loops
        let vectors = try AuthVectors.load()
        let main = KalshiCredentials(keyID: KalshiKeyID(vectors.key_id)!, privateKey: try KalshiPrivateKey(pem: vectors.private_key_pkcs1_pem))
        let other = KalshiCredentials(keyID: KalshiKeyID("counterparty-0001")!, privateKey: try Self.counterpartyKey())
        let keys = SimKeyRegistry(timestampWindow: timestampWindow)
        try keys.register(keyID: main.keyID.rawValue, publicKeyPEM: vectors.public_key_pem)
        try keys.register(keyID: other.keyID.rawValue, publicKeyPEM: other.privateKey.publicKeyPEM)
        let server = try await SimServer.start(exchange: SimExchange(configuration: configuration), keys: keys, tier: tier, rateLimits: rateLimits)
        return SimFixture(server: server, credentials: main, counterparty: other)
    }

    /// One generated key shared by all tests of a process (RSA generation is slow).
    private static func counterpartyKey() throws -> KalshiPrivateKey {
        try sharedCounterparty.get()
    }
    private static let sharedCounterparty = Result { try KalshiPrivateKey.generate() }

    /// A transport to the simulator for `credentials` (default: the main account).
    public func transport(_ credentials: KalshiCredentials? = nil, tier: KalshiRateTier = .basic, anonymous: Bool = false,
                          configure: (inout KalshiTransport.Configuration) -> Void = { _ in }) -> KalshiTransport {
        var configuration = KalshiTransport.Configuration(baseURL: server.baseURL, credentials: anonymous ? nil : (credentials ?? self.credentials))
        configuration.tier = tier
        configuration.retryBaseDelay = .milliseconds(5)
        configuration.retryMaxDelay = .milliseconds(20)
        // A connection to 127.0.0.1 takes microseconds, but a request queued for one of the pool's connections
        // waits under the same limit: on a machine running two suites beside busy-loops, 3 s (the default)
        // once passed (`getConnectionFromPoolTimeout`), and an order was refused unsent.
        configuration.connectTimeout = .seconds(30)
        configure(&configuration)
        return KalshiTransport(configuration)
    }

    public func stop() async { await server.stop() }
}

/// Literal helpers for tests.
public func price(_ text: String) -> Price { (try? Price(parsing: text)) ?? Price(micros: 500_000)! }
public func contracts(_ text: String) -> Contracts { (try? Contracts(parsing: text)) ?? .zero }

extension SimFixture {
    /// A WebSocket client to the simulator with test-speed backoff. Silence detection at 15 s: at 2 s, a
    /// full suite beside busy-loops once held the simulator's pong past it, the client reconnected, and
    /// the events published meanwhile were never heard (an executor on a `ManualClock`, whose safety poll
    /// never comes, then waited for ever). Tests of silence detection set their own.
    public func webSocket(_ credentials: KalshiCredentials? = nil, anonymous: Bool = false,
                          configure: (inout KalshiWebSocket.Configuration) -> Void = { _ in }) -> KalshiWebSocket {
        var configuration = KalshiWebSocket.Configuration(url: server.webSocketURL, credentials: anonymous ? nil : (credentials ?? self.credentials))
        configuration.backoffBase = .milliseconds(20)
        configuration.backoffMax = .milliseconds(200)
        configuration.silenceTimeout = .seconds(15)
        configuration.commandTimeout = .seconds(5)
        configure(&configuration)
        return KalshiWebSocket(configuration)
    }
}

/// Polls `condition` (every 5 ms, up to `timeout`) — waiting for an outcome, never racing a fixed sleep.
public func eventually(timeout: Duration = .seconds(30), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}
