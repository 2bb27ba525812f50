import ExchangeSim
import Foundation
import Markets
import PolymarketClient
import PolymarketWire
import VenueTransport

/// A Polymarket simulator on 127.0.0.1 and clients wired to it: the well-known test key as the trader,
/// its API credentials created through L1.
public struct PolySimFixture: Sendable {
    public let server: PolySimServer
    public let signer: EthereumSigner

    public var exchange: PolySimExchange { server.exchange }
    public var faults: SimFaults { server.faults }

    public static func start(_ configure: (inout PolySimExchange.Configuration) -> Void = { _ in }) async throws -> PolySimFixture {
        HTTPPipelineWarmUp.run()
        var configuration = PolySimExchange.Configuration()
        configuration.statusStep = .milliseconds(20)
        configure(&configuration)
        let server = try await PolySimServer.start(exchange: PolySimExchange(configuration: configuration))
        return PolySimFixture(server: server, signer: try EthereumSigner(privateKeyHex: PolymarketVectors.privateKey))
    }

    /// A client for the trader, with test-speed retries; `authenticate` creates (or derives) its API key.
    public func client(authenticate: Bool = true, configure: (inout PolyTransport.Configuration) -> Void = { _ in }) async throws -> PolymarketClient {
        var configuration = PolyTransport.Configuration(baseURL: server.baseURL)
        configuration.retryBaseDelay = .milliseconds(5)
        configuration.retryMaxDelay = .milliseconds(20)
        configure(&configuration)
        let client = PolymarketClient(transport: PolyTransport(configuration, signer: signer, credentials: nil))
        if authenticate { try await client.createOrDeriveAPIKey() }
        return client
    }

    public func gamma() -> GammaClient { GammaClient(baseURL: server.gammaURL) }

    /// A market of the standard listing by slug.
    public func market(_ slug: String) async -> PolySimMarketSpec? { await exchange.markets.first { $0.slug == slug } }

    public func stop() async { await server.stop() }
}
