import Config
import Execution
import Foundation
import Markets
import PolymarketClient
import PolymarketVenue
import PolymarketWire

/// The Polymarket side of a run: its public data (CLOB books, the market channel, Gamma) and its trading
/// adapter (the paper executor on its books, or the Polymarket executor on the account).
public struct PolymarketConnection: Sendable {
    public let client: PolymarketClient
    public let gamma: GammaClient
    public let directory: PolyMarketDirectory
    public let market: PolyMarketData
    public let paper: PaperExecutor<ContinuousClock>?
    public let live: PolymarketExecutor<ContinuousClock>?
    /// How the account signs (its balance is read under it).
    public var signatureType: PolySignatureType = .eoa

    /// The adapter the run registers for `.polymarket`.
    public var adapter: VenueRouter.Adapter? { live ?? paper }

    /// A client for `config`: public only (paper), or signed with the key and credentials (demo/live).
    public static func client(_ config: PolymarketConfig, signed: Bool) -> PolymarketClient {
        var transport = PolyTransport.Configuration(baseURL: config.clobURL)
        transport.orderLane = signed
        return PolymarketClient(transport: PolyTransport(transport, signer: signed ? config.signer : nil, credentials: signed ? config.credentials : nil))
    }

    /// Readies the key's API credentials: the configured ones, or created/derived through L1 (logged).
    public static func authenticate(_ client: PolymarketClient, log: @Sendable (String) -> Void) async throws {
        try? await client.syncClock()
        if let given = client.transport.apiCredentials {
            log("polymarket: API key \(given.apiKey.prefix(4))… from POLY_API_KEY")
            return
        }
        let made = try await client.createOrDeriveAPIKey()
        log("polymarket: no POLY_API_KEY given; API credentials derived through L1 for \(client.transport.signer?.address.checksummed ?? "?") "
            + "(key \(made.apiKey.prefix(4))…, secret and passphrase kept in memory only)")
    }

    /// `local` false: a controller that leaves Polymarket to its trader: market data only, no account, no
    /// executor (no key needed).
    public static func connect(_ config: PolymarketConfig, mode: ExecutionMode, local: Bool = true, paperSettings: PaperExecutor<ContinuousClock>.Settings,
                               orderTimeout: Duration, metrics: ExecutionMetrics, log: @Sendable (String) -> Void) async throws -> PolymarketConnection {
        let sends = mode != .paper && local
        let client = client(config, signed: sends)
        let gamma = GammaClient(baseURL: config.gammaURL)
        let directory = PolyMarketDirectory(client: client, gamma: gamma)
        let market = PolyMarketData(webSocketURL: config.webSocketURL, client: client)
        await market.start()
        log("polymarket data: CLOB \(config.clobURL.host ?? "?"), channels \(config.webSocketURL.absoluteString), Gamma \(config.gammaURL.host ?? "?")")
        if !local {
            log("controller: no local Polymarket trading (CONTROLLER_PLATFORMS leaves Polymarket to its trader)")
            return PolymarketConnection(client: client, gamma: gamma, directory: directory, market: market, paper: nil, live: nil)
        }
        if !sends {
            let paper = PaperExecutor(books: market, clock: ContinuousClock(), settings: paperSettings)
            return PolymarketConnection(client: client, gamma: gamma, directory: directory, market: market, paper: paper, live: nil)
        }
        guard let signer = config.signer else { throw RunError(description: "POLY_PRIVATE_KEY is required to send Polymarket orders", isConfiguration: true) }
        try await authenticate(client, log: log)
        // Nonces prepared in the background take the point multiplication off each order's signature.
        let builder = try PolyOrderBuilder(signer: signer, signatureType: config.signatureType, funder: config.funder,
                                           nonces: PreparedNonces(signer: signer))
        var settings = PolymarketExecutor<ContinuousClock>.Settings()
        settings.orderTimeout = orderTimeout
        let user = PolyUserStream(webSocketURL: config.webSocketURL, transport: client.transport)
        let live = PolymarketExecutor(client: client, user: user, directory: directory, builder: builder, clock: ContinuousClock(), settings: settings,
                                      metrics: metrics)
        await live.start()
        await client.transport.warmUp()
        log("polymarket executor: signer \(signer.address.checksummed), signature type \(config.signatureType.rawValue), funder \(builder.funder.checksummed), signing with nonces prepared ahead (\(builder.nonces?.capacity ?? 0) kept)")
        return PolymarketConnection(client: client, gamma: gamma, directory: directory, market: market, paper: nil, live: live,
                                    signatureType: config.signatureType)
    }

    /// The market of a Polymarket token as the core sees it: the instrument is the market's YES token;
    /// the condition stands for the event (per-event limits); the tick's grid and the taker fee rate.
    public func listed(_ token: String) async -> ListedMarket? {
        guard let info = try? await directory.info(token) else { return nil }
        return ListedMarket(platform: .polymarket, ticker: info.yesToken, eventTicker: info.conditionID, isOpen: !info.closed,
                            status: info.closed ? "closed" : "open", grid: info.grid, fees: info.fees,
                            sideFlipped: info.outcome(of: token) == .no,
                            minimumSize: info.minimumSize.map { Contracts(hundredths: ($0.micros + 9_999) / 10_000) })
    }

    /// Subscribes a token's book and waits (up to `timeout`) until it is fresh.
    public func waitForBook(_ token: String, timeout: Duration = .seconds(10)) async throws {
        await market.subscribe([token])
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await market.isFresh(token) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ManualOrderError("no Polymarket book for token \(token.prefix(24))… within \(timeout)")
    }

    /// Token ids per Gamma `GET /markets` (repeated `clob_token_ids`; a token id is up to 78 digits).
    static let tokensPerGammaRequest = 20

    /// Settles journaled positions in Polymarket markets that resolved (Gamma's outcome prices): each token
    /// at the price it resolved to, the tokens asked about together (`tokensPerGammaRequest` at a time).
    public func resolutions(_ tokens: [String]) async -> [(token: String, yesValue: Dollars)] {
        var resolved: [String: Dollars] = [:]
        for chunk in tokens.chunked(Self.tokensPerGammaRequest) {
            guard let markets = try? await gamma.markets(tokenIDs: Array(chunk)) else { continue }
            for market in markets {
                for (token, micros) in market.resolvedPrices { resolved[token] = Dollars(micros: micros) }
            }
        }
        return tokens.compactMap { token in resolved[token].map { (token, $0) } }
    }

    public func shutdown() async {
        await live?.stop()
        await market.stop()
        try? await client.transport.shutdown()
        try? await gamma.shutdown()
    }
}
