import Config
import DataClient
import Execution
import Foundation
import Logging
import KalshiWire
import Markets
import ServiceLifecycle
import TradingClient

/// Where a run's signals come from.
public enum SignalOrigin: Sendable, Hashable {
    /// JSON lines from a file, or standard input for `-`.
    case file(String)
    /// Synthetic signals read off the data venue's books (the embedded default), seeded.
    case synthetic(seed: UInt64)
}

/// A run could not start or continue.
public struct RunError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// What a finished run reports.
public struct RunSummary: Sendable {
    public var stats: LoopStats
    public var cancelledAtShutdown: Int
    public var haltReason: String?
    public var latency: [LatencyStage: LatencySummary]
}

/// A run wired from a `V3Config` (DESIGN.md §2): data venue first, then the trading venue, then the
/// journal, start-up reconciliation and the execution loop. `run` returns after `stop` completes,
/// having cancelled the resting orders this run placed.
public final class TradingSession: Sendable {
    public let plan: RunPlan
    private let config: V3Config
    private let origin: SignalOrigin
    private let log: @Sendable (String) -> Void

    public init(config: V3Config, plan: RunPlan, origin: SignalOrigin, log: @escaping @Sendable (String) -> Void) {
        self.config = config
        self.plan = plan
        self.origin = origin
        self.log = log
    }

    /// Starts the admin API with a fresh token, written (0600) to the token file with the endpoint beside it.
    private func startAdmin(port: Int, api: (String) -> AdminAPI) async throws -> AdminServer {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
        let handler = api(token)
        let server: AdminServer
        do { server = try await AdminServer.start(port: port) { await handler.handle($0) } } catch {
            throw RunError(description: "admin API: cannot listen on 127.0.0.1:\(port) (\(error)); set ADMIN_PORT or --admin-port (0 picks a free port)")
        }
        let tokenPath = config.admin.tokenFile
        let directory = (tokenPath as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        guard FileManager.default.createFile(atPath: tokenPath, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw RunError(description: "admin API: cannot write the token file \(tokenPath)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenPath)
        let endpoint = "http://127.0.0.1:\(server.port)"
        try Data((endpoint + "\n").utf8).write(to: URL(fileURLWithPath: AdminEndpoint.endpointPath(tokenFile: tokenPath)))
        log("admin API on \(endpoint) (bearer token in \(tokenPath), mode 0600)")
        return server
    }

    /// Runs until SIGINT/SIGTERM or `duration`, then shuts down cleanly: the loop stops taking signals and
    /// finishes the order in flight, this run's resting orders are cancelled, connections close.
    public func run(journalPath: String, adminPort: Int? = nil, duration: Duration? = nil) async throws -> RunSummary {
        var state = RunState.startup
        let board = RunBoard()
        func move(_ next: RunState) async {
            guard state.allows(next) else { return }
            state = next
            await board.set("\(next)")
            log("state \(next)")
        }
        plan.startupNotices.forEach(log)

        await move(.connectingData)
        let venues = try await Venues.connect(config, mode: plan.mode, connectedData: { await move(.connectingTrading) }, log: log)
        do {
            return try await operate(venues, board: board, move: move, journalPath: journalPath, adminPort: adminPort, duration: duration)
        } catch {
            await move(.error("\(error)"))
            await venues.shutdown()
            throw error
        }
    }

    /// Everything after the connections: journal, reconciliation, services, shutdown.
    private func operate(_ venues: Venues, board: RunBoard, move: (RunState) async -> Void, journalPath: String, adminPort: Int?,
                         duration: Duration?) async throws -> RunSummary {
        await move(.syncing)
        let service = try await venues.prepareExecution(journalPath: journalPath, mode: plan.mode, limits: config.risk,
                                                                      driftThreshold: config.driftThreshold, log: log)
        let market = venues.market

        // Books to trade on: every listed market for the synthetic stream; external signals subscribe on demand.
        let inbox = SignalInbox()
        var synthetic: SyntheticSignalSource?
        var reader: Task<Void, Never>?
        switch origin {
        case let .synthetic(seed):
            let tickers = await venues.dataCatalog.tickers
            try await market.watchBooks(tickers)
            try await market.watch(.trade, tickers: tickers)
            synthetic = SyntheticSignalSource(books: market, tickers: tickers, seed: seed)
        case let .file(path):
            let log = log
            reader = try SignalFileSource.start(path: path, into: inbox) { log("MALFORMED \($0)") }
            try await market.watch(.trade)
        }
        try await market.watch(.marketLifecycle)
        var loopSettings = ExecutionLoop.Settings()
        loopSettings.cycleInterval = config.loop.cycleInterval
        loopSettings.maxSignalsPerCycle = config.loop.maxSignalsPerCycle
        let subscribe: @Sendable (String) async -> Void = { ticker in _ = try? await market.watchBooks([ticker]) }
        let onDemand = synthetic == nil ? subscribe : nil
        let loop = ExecutionLoop(inbox: inbox, service: service, catalog: venues.tradingCatalog, synthetic: synthetic, settings: loopSettings,
                                 log: log, watch: onDemand)
        let admin = try await startAdmin(port: adminPort ?? config.admin.port,
                                         api: { AdminAPI(token: $0, board: board, service: service, loop: loop, inbox: inbox, hybrid: plan.hybrid, log: log) })
        await move(.ready)

        var logger = Logger(label: "run-executor.services")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [
            .init(service: MarketFeedService(market: market, catalog: venues.tradingCatalog, paper: venues.paper, board: board,
                                             metrics: venues.metrics, log: log)),
            .init(service: DiscoveryService(catalog: venues.dataCatalog, interval: .seconds(300), log: log)),
            .init(service: UnresolvedOrdersService(service: service, ledger: venues.executor, interval: .seconds(5), log: log)),
            .init(service: AdminService(server: admin)),
            .init(service: ExecutionLoopService(loop: loop)),
            .init(service: DeadlineService(duration: duration), successTerminationBehavior: .gracefullyShutdownGroup),
        ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch { log("service group ended: \(error)") }
        reader?.cancel()

        await move(.shuttingDown)
        let cancelled = await service.cancelAll()
        log("shutdown: cancelled \(cancelled) resting order(s) this run placed")
        await venues.shutdown()
        await move(.stopped)
        var latency: [LatencyStage: LatencySummary] = [:]
        for stage in LatencyStage.allCases { latency[stage] = service.metrics.summary(stage) }
        return RunSummary(stats: await loop.stats, cancelledAtShutdown: cancelled,
                          haltReason: await service.haltReason, latency: latency)
    }
}
