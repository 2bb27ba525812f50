import Config
import DataClient
import Execution
import KalshiVenue
import Foundation
import KalshiWire
import Markets
import TradingClient

extension Optional {
    /// `map` with an async throwing transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// The connections of a run: the data venue (REST, live books, its listing) and the trading side
/// (paper executor on those books, or the Kalshi executor on the demo/live account).
public struct Venues: Sendable {
    public let dataREST: KalshiDataClient
    public let market: LiveMarketData
    public let dataCatalog: MarketCatalog
    /// The trading venue's own listing (the data venue's in paper mode).
    public let tradingCatalog: MarketCatalog
    /// Every venue adapter of the run, by platform (the one executor and ledger the core sees).
    public let executor: VenueRouter
    public let paper: PaperExecutor<ContinuousClock>?
    public let live: KalshiExecutor<ContinuousClock>?
    public let tradingClient: KalshiTradingClient?
    let tradingREST: KalshiDataClient?
    /// The Polymarket venue, when the configuration has one.
    public let polymarket: PolymarketConnection?
    /// Shared by the executor and the execution service (one Prometheus registry per run).
    public let metrics: ExecutionMetrics

    /// The same connections with another executor (a controller's routed venues).
    func routing(through executor: VenueRouter) -> Venues {
        Venues(dataREST: dataREST, market: market, dataCatalog: dataCatalog, tradingCatalog: tradingCatalog, executor: executor, paper: paper, live: live,
               tradingClient: tradingClient, tradingREST: tradingREST, polymarket: polymarket, metrics: metrics)
    }

    public static func transport(_ venue: KalshiVenueConfig, tier: KalshiRateTier, presignMaxAge: Duration? = nil) -> KalshiTransport {
        var configuration = KalshiTransport.Configuration(baseURL: venue.apiURL, credentials: venue.credentials)
        configuration.tier = tier
        configuration.presigning = presignMaxAge.map { maxAge in
            var settings = Presigner.Settings()
            settings.maxAge = maxAge
            return settings
        }
        return KalshiTransport(configuration)
    }

    /// A trading client for account commands (demo/live), refusing production outside a live run.
    public static func tradingClient(_ config: V3Config, mode: ExecutionMode) throws -> KalshiTradingClient {
        try KalshiTradingClient(transport: transport(config.trading, tier: config.rateTier, presignMaxAge: config.orderPresignMaxAge), allowsProduction: mode == .live)
    }

    /// Connects the data venue first, then the trading side. `fillDetection` overrides the
    /// configuration (one-shot commands poll rather than open the private channels).
    public static func connect(_ config: V3Config, mode: ExecutionMode, fillDetection: FillDetection? = nil,
                               connectedData: () async -> Void = {}, log: @Sendable (String) -> Void) async throws -> Venues {
        let dataREST = KalshiDataClient(transport: transport(config.data, tier: config.rateTier))
        let market = LiveMarketData(socket: KalshiWebSocket(KalshiWebSocket.Configuration(url: config.data.webSocketURL, credentials: config.data.credentials)))
        await market.start()
        let dataCatalog = MarketCatalog(client: dataREST)
        let listed = try await dataCatalog.refreshOpenMarkets()
        log("data venue: \(listed) open market(s) on \(config.data.apiURL.host ?? "?")")
        await connectedData()
        let metrics = ExecutionMetrics()
        var paperSettings = PaperExecutor<ContinuousClock>.Settings()
        paperSettings.startingCash = config.paper.startingCash
        paperSettings.latency = config.paper.latency
        let seed = config.paper.seed ?? UInt64.random(in: 1...UInt64.max)
        paperSettings.seed = seed
        paperSettings.model = config.paper.fillModel == .book ? .book : .random(RandomFillParameters())
        paperSettings.orderTimeout = config.orderTimeout
        let polymarket = try await config.polymarket.asyncMap {
            try await PolymarketConnection.connect($0, mode: mode, local: !config.polymarketRoutedOnly, paperSettings: paperSettings,
                                                   orderTimeout: config.orderTimeout, metrics: metrics, log: log)
        }
        func router(_ kalshi: VenueRouter.Adapter) -> VenueRouter {
            var adapters: [Platform: VenueRouter.Adapter] = [.kalshi: kalshi]
            if let adapter = polymarket?.adapter { adapters[.polymarket] = adapter }
            return VenueRouter(adapters)
        }
        switch mode {
        case .paper:
            log("paper executor: \(config.paper.fillModel.rawValue) model, seed \(seed), latency \(config.paper.latency.lowerBound.wholeMilliseconds)–\(config.paper.latency.upperBound.wholeMilliseconds) ms, "
                + "cash \(config.paper.startingCash.wireString)"
                + (polymarket == nil ? "" : " per venue (Kalshi, Polymarket)"))
            let paper = PaperExecutor(books: market, clock: ContinuousClock(), settings: paperSettings)
            return Venues(dataREST: dataREST, market: market, dataCatalog: dataCatalog, tradingCatalog: dataCatalog, executor: router(paper),
                          paper: paper, live: nil, tradingClient: nil, tradingREST: nil, polymarket: polymarket, metrics: metrics)
        case .demo where config.kalshiRoutedOnly, .live where config.kalshiRoutedOnly:
            // A controller whose Kalshi legs all go to a trader: no Kalshi account of its own (its Kalshi
            // listing is the data venue's).
            log("controller: no local Kalshi trading (CONTROLLER_PLATFORMS leaves Kalshi to its trader)")
            let adapters: [Platform: VenueRouter.Adapter] = polymarket?.adapter.map { [.polymarket: $0] } ?? [:]
            return Venues(dataREST: dataREST, market: market, dataCatalog: dataCatalog, tradingCatalog: dataCatalog, executor: VenueRouter(adapters),
                          paper: nil, live: nil, tradingClient: nil, tradingREST: nil, polymarket: polymarket, metrics: metrics)
        case .demo, .live:
            let client = try tradingClient(config, mode: mode)
            let rest = KalshiDataClient(transport: transport(config.trading, tier: config.rateTier))
            var settings = KalshiExecutor<ContinuousClock>.Settings()
            settings.fillDetection = fillDetection ?? config.fillDetection
            settings.orderTimeout = config.orderTimeout
            let account = settings.fillDetection == .websocket
                ? AccountStream(socket: KalshiWebSocket(KalshiWebSocket.Configuration(url: config.trading.webSocketURL, credentials: config.trading.credentials)))
                : nil
            let live = KalshiExecutor(client: client, account: account, clock: ContinuousClock(), settings: settings, metrics: metrics)
            try await live.start()
            // The order connection open and signatures ready before the first signal.
            await client.warmUp()
            return Venues(dataREST: dataREST, market: market, dataCatalog: dataCatalog, tradingCatalog: MarketCatalog(client: rest),
                          executor: router(live),
                          paper: nil, live: live, tradingClient: client, tradingREST: rest, polymarket: polymarket, metrics: metrics)
        }
    }

    /// Opens the journal, restores the breaker and reconciles with the venue before anything trades:
    /// orders of earlier runs settled, positions in markets with a result settled (realised), positions
    /// compared (drift halts), the events of positions named.
    /// `resolved` is told each order the start-up reconciliation found final (after the positions are
    /// reloaded), so what the earlier run recorded while its outcome was unknown can be rebuilt.
    public func prepareExecution(journalPath: String, mode: ExecutionMode, config: V3Config, breaker: BreakerSettings? = nil,
                                 log: @escaping @Sendable (String) -> Void,
                                 resolved: @Sendable (String, ExecutionService) async -> Void = { _, _ in }) async throws -> ExecutionService {
        let journal = try Journal(path: journalPath)
        let service = try ExecutionService(executor: executor, journal: journal, mode: mode, breaker: breaker ?? BreakerSettings(limits: config.risk),
                                           metrics: metrics, log: log)
        let catalog = tradingCatalog
        let polymarket = polymarket
        let results = MarketResults(service: service, catalog: catalog, polymarket: polymarket)
        // Polymarket markets the journal holds positions or open orders in: their parameters and balances are
        // read before reconciliation compares anything.
        if let polymarket {
            let tokens = Set(try journal.positions(platforms: [.polymarket]).keys).union(try journal.nonTerminalOrders().filter { $0.platform == .polymarket }.map(\.ticker))
            // Three requests each (book, fee rate, Gamma): eight tokens at a time, not one after another.
            await withBoundedConcurrency(tokens.sorted(), width: 8, perform: { token in _ = try? await polymarket.directory.info(token) }) { _ in [] }
        }
        let reconciler = Reconciler(
            journal: journal, ledger: executor, driftThreshold: config.driftThreshold, absentWindow: config.absentWindow,
            eventOf: { await catalog.info($0)?.eventTicker },
            settlePositions: { await results.settleHeld(how: "read at start-up") },
            realized: { ticker, result in await service.recordReconciled(result, ticker: ticker) })
        let report = try await reconciler.run(nowNanoseconds: ExecutionService.systemWallClock())
        log(report.summary)
        for (id, reason) in report.unresolved { log("UNRESOLVED \(id): \(reason)") }
        if !report.unknownBasis.isEmpty {
            log("warning: adopted the venue's position in \(report.unknownBasis.joined(separator: ", ")) on a side the journal never held; "
                + "its cost is unknown (P&L counted from zero cost)")
        }
        await service.watchUnresolved(report.unresolved.map(\.clientOrderID))
        if let reason = report.haltReason { await service.halt(reason: reason) }
        var missing: [String: String] = [:]
        for position in try journal.positionsWithEvents() where position.eventTicker.isEmpty {
            if let event = await catalog.info(position.ticker)?.eventTicker { missing[position.ticker] = event }
        }
        try journal.setMissingEvents(missing)
        await service.reloadPositions()
        if let paper { await paper.restore(positions: try journal.positions(platforms: [.kalshi])) }
        if let polyPaper = polymarket?.paper { await polyPaper.restore(positions: try journal.positions(platforms: [.polymarket])) }
        for (id, state) in report.resolved where state.isTerminal { await resolved(id, service) }
        if let halted = await service.haltReason { log("HALTED (\(halted)); no order will be sent until `run-executor resume`") }
        return service
    }

    public func shutdown() async {
        await polymarket?.shutdown()
        await live?.stop()
        await market.stop()
        try? await tradingClient?.shutdown()
        try? await tradingREST?.shutdown()
        try? await dataREST.shutdown()
    }
}
