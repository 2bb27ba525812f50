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
        abstract: "Watch top of book and trades: a refreshing table, or JSON lines with --json.",
        discussion: """
            By default a compact table, one row per market: best bid and ask (YES side) with their sizes, \
            the spread, the last trade and a STALE marker while a book waits for a resync; on a terminal it \
            redraws in place, piped it prints a new table when something changed (at most once a second). \
            With --json, one line per change: ticker, yes_bid, yes_bid_size, yes_ask, yes_ask_size (Kalshi \
            fixed-point strings, null when a side is empty), seq and stale (true while the book waits for a \
            resync; a stale book prints no prices); with --trades, public trades too. Uses the market-data \
            venue of the configuration (--profile/--env-file/.env); with no configuration at all, an \
            embedded simulator with synthetic activity.
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "Market tickers (Polymarket token ids with --platform polymarket).") var tickers: [String]
    @Option(help: "Venue: kalshi or polymarket (poly).") var platform: PlatformOption = .kalshi
    @Flag(help: "JSON lines instead of the table.") var json = false
    @Flag(help: "Also print public trades (JSON lines; the table lists the last few).") var trades = false
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
            // The table's last-trade column needs the trade channel even without --trades.
            if trades || !json { try await data.watch(.trade, tickers: tickers) }
        } catch {
            printError("watch: \(error)")
            await data.stop()
            if let embedded { await embedded.stop() }
            throw ExitStatus.failure.exitCode
        }
        let events = WatchEvent.stream(data.updates) { update in
            switch update {
            case let .book(ticker, served): .book(ticker, served)
            case let .trade(trade):
                .trade(WatchTrade(ticker: trade.marketTicker, price: trade.yesPriceDollars.wireString, size: trade.countFP.wireString,
                                  side: trade.takerBookSide.rawValue, json: WatchLine.trade(trade)))
            default: nil
            }
        }
        let printer = Task { await show(events) }
        await waitForShutdown(duration: duration)
        await data.stop()
        printer.cancel()
        await printer.value
        if let embedded { await embedded.stop() }
    }

    /// Prints the events as JSON lines, or keeps the table and redraws it.
    func show(_ events: AsyncStream<WatchEvent>) async {
        if json {
            var last: [String: String] = [:]
            for await event in events {
                switch event {
                case let .book(ticker, served):
                    let line = WatchLine.book(ticker: ticker, served)
                    guard last[ticker] != line.key else { continue }
                    last[ticker] = line.key
                    print(line.json)
                case let .trade(trade):
                    guard trades else { continue }
                    print(trade.json)
                }
                flushStandardOutput()
            }
            return
        }
        let terminal = isatty(STDOUT_FILENO) == 1
        var table = WatchTable(tickers: tickers, listTrades: trades, sideNote: platform.platform == .polymarket ? "each token's own book" : "YES side")
        var drawn = ContinuousClock.now - .seconds(10)
        var pending = false
        func draw() {
            print((terminal ? "\u{1B}[H\u{1B}[2J" : "") + table.rendered(at: Date()) + (terminal ? "" : "\n"))
            flushStandardOutput()
            drawn = .now
            pending = false
        }
        let interval: Duration = terminal ? .milliseconds(250) : .seconds(1)
        let ticks = AsyncStream<WatchEvent?> { continuation in
            let timer = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    continuation.yield(nil)
                }
            }
            let feed = Task {
                for await event in events { continuation.yield(event) }
                continuation.finish()
            }
            continuation.onTermination = { _ in
                timer.cancel()
                feed.cancel()
            }
        }
        for await event in ticks {
            if let event { pending = table.apply(event) || pending }
            if pending, ContinuousClock.now - drawn >= interval { draw() }
        }
        if pending { draw() }
    }
}

/// What `watch` shows, from either venue.
enum WatchEvent: Sendable {
    case book(String, ServedBook)
    case trade(WatchTrade)

    /// A venue's updates as watch events (`convert` drops what watch does not show).
    static func stream<Update: Sendable>(_ updates: AsyncStream<Update>, _ convert: @escaping @Sendable (Update) -> WatchEvent?) -> AsyncStream<WatchEvent> {
        AsyncStream { continuation in
            let feed = Task {
                for await update in updates {
                    if let event = convert(update) { continuation.yield(event) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in feed.cancel() }
        }
    }
}

struct WatchTrade: Sendable {
    var ticker: String
    /// YES price of the trade (Kalshi) or the token's price (Polymarket).
    var price: String
    var size: String
    var side: String
    /// The `--json` line.
    var json: String
}

/// The human view: one row per market (top of book, spread, last trade, staleness) and, with `--trades`,
/// the last few trades.
struct WatchTable {
    struct Row {
        var bid: BookLevel?
        var ask: BookLevel?
        var stale = true
        var seen = false
        var lastTrade: (trade: WatchTrade, at: Date)?
    }

    let tickers: [String]
    let listTrades: Bool
    /// Which side of the market the prices are (Kalshi's YES book, a Polymarket token's own book).
    let sideNote: String
    var rows: [String: Row] = [:]
    var recent: [(trade: WatchTrade, at: Date)] = []

    init(tickers: [String], listTrades: Bool, sideNote: String) {
        self.tickers = tickers
        self.listTrades = listTrades
        self.sideNote = sideNote
    }

    /// Applies an event; whether the view changed.
    mutating func apply(_ event: WatchEvent, at now: Date = Date()) -> Bool {
        switch event {
        case let .book(ticker, served):
            var row = rows[ticker] ?? Row()
            let before = (row.bid, row.ask, row.stale, row.seen)
            if case let .fresh(book, _) = served {
                row.bid = book.bestBid(.yes)
                row.ask = book.bestAsk(.yes)
                row.stale = false
            } else {
                row.stale = true
            }
            row.seen = true
            rows[ticker] = row
            return before != (row.bid, row.ask, row.stale, row.seen)
        case let .trade(trade):
            rows[trade.ticker, default: Row()].lastTrade = (trade, now)
            recent.append((trade, now))
            if recent.count > 5 { recent.removeFirst(recent.count - 5) }
            return true
        }
    }

    func rendered(at now: Date) -> String {
        let clock = now.ISO8601Format(.iso8601.time(includingFractionalSeconds: false))
        var lines = [TextTable(["market", "bid size", "bid", "ask", "ask size", "spread", "last trade", "state"], tickers.map { ticker in
            let row = rows[ticker] ?? Row()
            let spread = row.bid.flatMap { bid in row.ask.map { Dollars(micros: $0.price.micros - bid.price.micros).wireString } } ?? "-"
            let last = row.lastTrade.map { "\($0.trade.size) @ \($0.trade.price) \(Int(now.timeIntervalSince($0.at)))s ago" } ?? "-"
            let marker = !row.seen ? "waiting for the book" : row.stale ? "STALE (resynchronising)" : "live"
            let hide = row.stale
            return [Report.short(ticker), hide ? "-" : row.bid?.size.wireString ?? "-", hide ? "-" : row.bid?.price.wireString ?? "-",
                    hide ? "-" : row.ask?.price.wireString ?? "-", hide ? "-" : row.ask?.size.wireString ?? "-", hide ? "-" : spread, last, marker]
        }, rightAligned: [1, 2, 3, 4, 5]).rendered]
        if listTrades, !recent.isEmpty {
            lines.append("")
            lines.append(TextTable(["trade", "market", "size", "price", "taker"], recent.reversed().map {
                [$0.at.ISO8601Format(.iso8601.time(includingFractionalSeconds: false)), Report.short($0.trade.ticker), $0.trade.size, $0.trade.price, $0.trade.side]
            }, rightAligned: [2, 3]).rendered)
        }
        return "watch \(clock) UTC (\(sideNote); Ctrl-C to stop)\n" + lines.joined(separator: "\n")
    }
}

extension Watch {
    /// The same view of Polymarket tokens: a token's best bid and ask (its asks as the market publishes
    /// them), from the market channel's exact local books; trades are last-trade events.
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
        let events = WatchEvent.stream(data.updates) { update in
            switch update {
            case let .book(token, served): .book(token, served)
            case let .lastTrade(trade):
                .trade(WatchTrade(ticker: trade.assetID, price: trade.price, size: trade.size, side: trade.side, json:
                    "{\"type\":\"trade\",\"ticker\":\(WatchLine.quoted(trade.assetID)),\"price\":\(WatchLine.quoted(trade.price)),"
                        + "\"size\":\(WatchLine.quoted(trade.size)),\"side\":\(WatchLine.quoted(trade.side)),\"ts_ms\":\(WatchLine.quoted(trade.timestamp))}"))
            default: nil
            }
        }
        let printer = Task { await show(events) }
        await waitForShutdown(duration: duration)
        await data.stop()
        printer.cancel()
        await printer.value
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
