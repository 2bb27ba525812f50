import Arbitrage
import ArgumentParser
import Config
import DataClient
import ExchangeSim
import Foundation
import KalshiWire
import Markets
import Coordinator
import PolymarketClient

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream top of book (and trades) as JSON lines.",
        discussion: """
            One line per change: ticker, yes_bid, yes_bid_size, yes_ask, yes_ask_size (Kalshi fixed-point \
            strings, null when a side is empty), seq and stale (true while the book waits for a resync; a \
            stale book prints no prices). With --trades, public trades too. Uses the market-data venue of \
            the configuration (--profile/--env-file/.env); with no configuration at all, an embedded \
            simulator with synthetic activity.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "Market tickers (Polymarket token ids with --platform polymarket).") var tickers: [String]
    @Option(help: "Venue: kalshi or polymarket (poly).") var platform: PlatformOption = .kalshi
    @Flag(help: "Also print public trades.") var trades = false
    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds")) var duration: Int?
    @Option(help: "Seed of the embedded simulator's activity (no configuration only).") var seed: UInt64 = 1

    func validate() throws {
        guard !tickers.isEmpty else { throw ValidationError("name at least one market ticker") }
        if let duration { try CLIRange.check("--duration", duration, CLIRange.duration) }
    }

    func run() async throws {
        if platform.platform == .polymarket { return try await watchPolymarket() }
        let report = try options.loadReport()
        var embedded: EmbeddedVenue.Started?
        let venue: KalshiWebSocket.Configuration
        if report.isEmbeddedDefault {
            let started = try await EmbeddedVenue.start(seed: seed)
            embedded = started
            venue = KalshiWebSocket.Configuration(url: started.server.webSocketURL, credentials: started.credentials)
        } else {
            venue = KalshiWebSocket.Configuration(url: report.config.data.webSocketURL, credentials: report.config.data.credentials)
        }
        let data = LiveMarketData(socket: KalshiWebSocket(venue))
        await data.start()
        do {
            try await data.watchBooks(tickers)
            if trades { try await data.watch(.trade, tickers: tickers) }
        } catch {
            printError("watch: \(error)")
            await data.stop()
            if let embedded { await embedded.stop() }
            throw ExitStatus.failure.exitCode
        }
        let printer = Task {
            var last: [String: String] = [:]
            for await update in data.updates {
                switch update {
                case let .book(ticker, served):
                    let line = WatchLine.book(ticker: ticker, served)
                    if last[ticker] != line.key {
                        last[ticker] = line.key
                        print(line.json)
                        flushStandardOutput()
                    }
                case let .trade(trade) where trades:
                    print(WatchLine.trade(trade))
                    flushStandardOutput()
                default:
                    continue
                }
            }
        }
        await waitForShutdown(duration: duration)
        await data.stop()
        printer.cancel()
        if let embedded { await embedded.stop() }
    }
}

extension Watch {
    /// The same lines for Polymarket tokens: a token's best bid and ask (its asks as the market publishes
    /// them), from the market channel's exact local books; `--trades` prints last-trade events.
    func watchPolymarket() async throws {
        let report = try options.loadReport()
        var embedded: EmbeddedVenue.Started?
        var config = report.config
        if report.isEmbeddedDefault {
            let started = try await EmbeddedVenue.start(seed: seed)
            embedded = started
            started.configure(&config, seed: seed)
        }
        guard let poly = config.polymarket else {
            printError("watch --platform polymarket: no Polymarket venue configured (set POLY_CLOB_URL and POLY_WS_URL, or run with no configuration)")
            throw ExitStatus.configuration.exitCode
        }
        let client = PolymarketConnection.client(poly, signed: false)
        let data = PolyMarketData(webSocketURL: poly.webSocketURL, client: client)
        await data.start()
        await data.subscribe(tickers)
        let trades = trades
        let printer = Task {
            var last: [String: String] = [:]
            for await update in data.updates {
                switch update {
                case let .book(token, served):
                    let line = WatchLine.book(ticker: token, served)
                    if last[token] != line.key {
                        last[token] = line.key
                        print(line.json)
                        flushStandardOutput()
                    }
                case let .lastTrade(trade) where trades:
                    print("{\"type\":\"trade\",\"ticker\":\(WatchLine.quoted(trade.assetID)),\"price\":\(WatchLine.quoted(trade.price)),"
                          + "\"size\":\(WatchLine.quoted(trade.size)),\"side\":\(WatchLine.quoted(trade.side)),\"ts_ms\":\(WatchLine.quoted(trade.timestamp))}")
                    flushStandardOutput()
                default:
                    continue
                }
            }
        }
        await waitForShutdown(duration: duration)
        await data.stop()
        printer.cancel()
        try? await client.transport.shutdown()
        if let embedded { await embedded.stop() }
    }
}

/// JSON lines of `watch`, with explicit nulls and a stable key order.
enum WatchLine {
    static func quoted(_ text: String?) -> String {
        guard let text else { return "null" }
        return String(decoding: (try? JSONEncoder().encode(text)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// The line, and the part that must change for a new line to be printed (top of book and staleness).
    static func book(ticker: String, _ served: ServedBook) -> (json: String, key: String) {
        var bid: BookLevel?, ask: BookLevel?, seq: String = "null", stale = true
        if case let .fresh(book, sequence) = served {
            bid = book.bestBid(.yes)
            ask = book.bestAsk(.yes)
            seq = String(sequence)
            stale = false
        }
        let top = "\"yes_bid\":\(quoted(bid?.price.wireString)),\"yes_bid_size\":\(quoted(bid?.size.wireString)),"
            + "\"yes_ask\":\(quoted(ask?.price.wireString)),\"yes_ask_size\":\(quoted(ask?.size.wireString))"
        let json = "{\"type\":\"book\",\"ticker\":\(quoted(ticker)),\(top),\"seq\":\(seq),\"stale\":\(stale)}"
        return (json, top + "|\(stale)")
    }

    static func trade(_ trade: WSTrade) -> String {
        "{\"type\":\"trade\",\"ticker\":\(quoted(trade.marketTicker)),\"trade_id\":\(quoted(trade.tradeID)),"
            + "\"yes_price\":\(quoted(trade.yesPriceDollars.wireString)),\"count\":\(quoted(trade.countFP.wireString)),"
            + "\"taker_book_side\":\(quoted(trade.takerBookSide.rawValue)),\"ts_ms\":\(trade.tsMs.map(String.init) ?? "null")}"
    }
}

/// The in-process simulators used when there is no configuration: the Kalshi simulator as market-data and
/// trading venue (a generated key), and the Polymarket simulator beside it (public data; paper fills on its
/// books), both with seeded synthetic activity.
enum EmbeddedVenue {
    struct Started: Sendable {
        let server: SimServer
        let credentials: KalshiCredentials
        let polymarket: PolySimServer
        let activity: Task<Void, Never>
        /// The Polymarket simulator's markets paired with the Kalshi simulator's (same event, same terms).
        var pairs: [MarketPair] {
            let terms = SettlementTerms(resolutionSource: "embedded simulator", closeTime: "2026-01-12T00:00:00Z", cancellation: "resolves No")
            return PolySimCatalog.standard().compactMap { spec in
                spec.pairedKalshiTicker.map {
                    MarketPair(pairID: spec.slug, description: spec.question, kalshiTicker: $0, polyYesToken: spec.yesToken, polyNoToken: spec.noToken,
                               orientation: .same, kalshiTerms: terms, polymarketTerms: terms)
                }
            }
        }

        func stop() async {
            activity.cancel()
            await server.stop()
            await polymarket.stop()
        }

        /// Points `config` at these simulators: Kalshi as both the market-data and the trading venue, Polymarket
        /// for its public data (paper, seeded).
        func configure(_ config: inout V3Config, seed: UInt64) {
            let venue = KalshiVenueConfig(apiURL: server.baseURL, webSocketURL: server.webSocketURL, credentials: credentials)
            config.data = venue
            config.trading = venue
            var poly = PolymarketConfig()
            poly.clobURL = polymarket.baseURL
            poly.webSocketURL = polymarket.webSocketURL
            poly.gammaURL = polymarket.gammaURL
            config.polymarket = poly
            if config.paper.seed == nil { config.paper.seed = seed }
        }
    }

    static func start(seed: UInt64, activityInterval: Duration = .milliseconds(100)) async throws -> Started {
        let key = try KalshiPrivateKey.generate()
        guard let keyID = KalshiKeyID("embedded-trader") else { throw ExitStatus.failure.exitCode }
        let keys = SimKeyRegistry()
        try keys.register(keyID: keyID.rawValue, publicKeyPEM: key.publicKeyPEM)
        let exchange = SimExchange()
        let activity = SyntheticActivity(exchange: exchange, seed: seed)
        await activity.seedBooks()
        let server = try await SimServer.start(exchange: exchange, keys: keys)
        let polyExchange = PolySimExchange()
        let polyActivity = PolySyntheticActivity(exchange: polyExchange, seed: seed)
        // The paired markets follow the Kalshi simulator's with a drifting gap: arbs open and close.
        await polyActivity.follow { await activity.fairPrice($0) }
        await polyActivity.seedBooks()
        let polymarket = try await PolySimServer.start(exchange: polyExchange)
        let task = Task {
            async let kalshi: Void = activity.run(every: activityInterval, clock: ContinuousClock())
            async let poly: Void = polyActivity.run(every: activityInterval, clock: ContinuousClock())
            _ = await (kalshi, poly)
        }
        return Started(server: server, credentials: KalshiCredentials(keyID: keyID, privateKey: key), polymarket: polymarket, activity: task)
    }
}
