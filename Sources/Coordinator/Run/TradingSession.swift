import Arbitrage
import Config
import DataClient
import Execution
import Foundation
import Logging
import KalshiWire
import Markets
import PolymarketVenue
import ServiceLifecycle
import TraderLink
import TradingClient

/// Where a run's signals come from.
public enum SignalOrigin: Sendable, Hashable {
    /// JSON lines from a file, or standard input for `-`.
    case file(String)
    /// Synthetic signals read off the data venue's books (the embedded default), seeded.
    case synthetic(seed: UInt64)
    /// No signal source: a remote trader executes the legs its controller sends (and `POST /signals`).
    case none
}

/// A run could not start or continue.
public struct RunError: Error, Sendable, CustomStringConvertible {
    public let description: String
    /// A problem with the configuration (exit 2), found before anything connected.
    public let isConfiguration: Bool

    public init(description: String, isConfiguration: Bool = false) {
        self.description = description
        self.isConfiguration = isConfiguration
    }
}

/// The arbitrage side of a run: the engine arb signals go to, and the detector when pairs are given.
struct RunArbitrage {
    let engine: ArbEngine
    let detector: ArbDetector?
}

/// The detector compares the pairs' books until the group shuts down.
struct ArbDetectorService: Service {
    let detector: ArbDetector

    func run() async throws {
        await cancelWhenGracefulShutdown { await detector.run() }
    }
}

extension TradingSession {
    /// The engine (legs through the execution service), fed by the inbox's arb signals; the detector over
    /// `PAIRS_FILE`'s pairs (and the embedded simulators'), each pair checked at start: its Kalshi market
    /// listed, its Polymarket YES and NO tokens those the venue's outcome labels name.
    func startArbitrage(_ venues: Venues, service: ExecutionService, inbox: SignalInbox, books: BookWatcher) async throws -> RunArbitrage {
        let arbVenues = ArbVenuesOfRun(venues: venues, watcher: books)
        var settings = ArbSettings()
        settings.minProfit = config.arbitrage.minProfit
        settings.maxAge = config.arbitrage.maxAge
        settings.dryRun = config.arbitrage.dryRun
        let runID = "arb" + String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36)
        let engine = ArbEngine(legs: ServiceLegExecutor(service: service, venues: arbVenues, runID: runID), venues: arbVenues, journal: service.journal,
                               settings: settings, log: log)
        await inbox.onArb { await engine.submit($0) }
        var pairs = embeddedPairs
        // A remote trader executes its controller's legs; it detects nothing itself.
        if trader == nil, let path = config.arbitrage.pairsFile {
            do {
                let loaded = try PairsFile.load(path: path)
                loaded.warnings.forEach { log("warning: \($0)") }
                pairs += loaded.pairs
            } catch {
                throw RunError(description: error.description, isConfiguration: true)
            }
        }
        guard !pairs.isEmpty else { return RunArbitrage(engine: engine, detector: nil) }
        guard let polymarket = venues.polymarket else {
            throw RunError(description: "PAIRS_FILE: the detector needs a Polymarket venue (set POLY_CLOB_URL, POLY_WS_URL, POLY_GAMMA_URL)",
                           isConfiguration: true)
        }
        for pair in pairs {
            guard await venues.dataCatalog.info(pair.kalshiTicker) != nil else {
                throw RunError(description: "pair \(pair.pairID): Kalshi market \(pair.kalshiTicker) is not listed", isConfiguration: true)
            }
            let info: PolyTokenInfo
            do { info = try await polymarket.directory.info(pair.polyYesToken) } catch {
                throw RunError(description: "pair \(pair.pairID): Polymarket token \(pair.polyYesToken.prefix(24))… is unknown (\(error))", isConfiguration: true)
            }
            // Orientation mistakes lose both legs: the YES token is the one the venue labels Yes, never an array position.
            guard info.yesToken == pair.polyYesToken, info.noToken == pair.polyNoToken else {
                throw RunError(description: "pair \(pair.pairID): poly_yes_token/poly_no_token do not match the venue's outcome labels "
                               + "(Yes is \(info.yesToken.prefix(24))…, No is \(info.noToken.prefix(24))…)", isConfiguration: true)
            }
        }
        try await venues.market.watchBooks(pairs.map(\.kalshiTicker))
        await polymarket.market.subscribe(pairs.map(\.polyYesToken))
        var detectorSettings = ArbDetector.Settings()
        detectorSettings.minProfit = config.arbitrage.minProfit
        detectorSettings.maxContracts = config.arbitrage.maxContracts
        let detector = ArbDetector(pairs: pairs, venues: arbVenues, settings: detectorSettings, busy: { await engine.isBusy($0) },
                                   emit: { arb in await inbox.submit(arb: arb) })
        log("arbitrage detector: \(pairs.count) pair(s) (\(pairs.map(\.pairID).joined(separator: ", "))), minimum profit "
            + "\(config.arbitrage.minProfit.wireString) per contract after fees" + (config.arbitrage.dryRun ? ", DRY RUN (nothing sent)" : ""))
        return RunArbitrage(engine: engine, detector: detector)
    }

    /// Signals an earlier run accepted and never executed: re-queued while younger than the maximum age,
    /// recorded as expired otherwise; one that already has orders (the run stopped mid-execution) is not
    /// traded again (its orders were reconciled).
    func restorePendingSignals(_ journal: Journal, into inbox: SignalInbox, arbs engine: ArbEngine, service: ExecutionService) async throws {
        let pending = try journal.pendingSignals()
        guard !pending.isEmpty else { return }
        let now = ExecutionService.systemWallClock()
        let maxAge = inbox.settings.maxAge.wholeNanoseconds
        var requeued: [Signal] = [], expired: [String] = [], executed: [String] = []
        var arbsResumed = 0
        for entry in pending {
            if ArbSignal.isArb(entry.payload) {
                // An arb is only worth its age: resumed while younger than ARB_MAX_AGE_MS (the engine checks
                // again at send time), expired otherwise; one with orders was reconciled.
                if entry.hasOrders {
                    executed.append(entry.id)
                    try await recoverInterruptedArb(entry.payload, receivedNanoseconds: entry.receivedNanoseconds, journal: journal, service: service)
                } else if now - entry.receivedNanoseconds <= engine.settings.maxAge.wholeNanoseconds, var arb = try? ArbSignal(jsonLine: entry.payload) {
                    arb.receivedNanoseconds = entry.receivedNanoseconds
                    if await engine.submit(arb) { arbsResumed += 1 } else { expired.append(entry.id) }
                } else {
                    expired.append(entry.id)
                }
                continue
            }
            if entry.hasOrders {
                executed.append(entry.id)
            } else if now - entry.receivedNanoseconds > maxAge {
                expired.append(entry.id)
            } else if var signal = try? Signal(jsonLine: entry.payload, lineNumber: 0) {
                signal.receivedNanoseconds = entry.receivedNanoseconds
                requeued.append(signal)
            } else {
                expired.append(entry.id)
            }
        }
        try journal.setSignalStatus(expired, "expired")
        try journal.setSignalStatus(executed, "executed_before_restart")
        await inbox.restore(requeued)
        log("signals accepted by an earlier run: \(requeued.count) re-queued, \(expired.count) expired (older than \(inbox.settings.maxAge)), "
            + "\(executed.count) already had orders" + (arbsResumed > 0 ? ", \(arbsResumed) arb(s) resumed" : ""))
    }
}

extension TradingSession {
    /// An arb whose legs went out before the last run stopped without recording its outcome: its record is
    /// rebuilt from its orders as reconciliation left them, and an unclosed excess is counted as exposure.
    func recoverInterruptedArb(_ payload: String, receivedNanoseconds: Int64, journal: Journal, service: ExecutionService) async throws {
        guard let record = try Self.rebuiltArb(payload, receivedNanoseconds: receivedNanoseconds, journal: journal, cause: "interrupted by a restart")
        else { return }
        log("ARB \(record.arbID.escapingControlCharacters) \(record.pairID.escapingControlCharacters) \(record.outcome.rawValue): \(record.reason)")
        if record.exposure.micros > 0 {
            await service.recordExposure(record.exposure, ticker: record.pairID, reason: "arb \(record.arbID) interrupted by a restart; close the excess by hand")
        }
    }

    /// An arb's record rebuilt from its orders as the journal holds them now, and journaled in place of the
    /// one it had; `nil` when the payload is not an arb.
    static func rebuiltArb(_ payload: String, receivedNanoseconds: Int64, journal: Journal, cause: String) throws -> JournalArb? {
        guard var arb = try? ArbSignal(jsonLine: payload) else { return nil }
        arb.receivedNanoseconds = receivedNanoseconds
        let orders = try journal.orders(signalID: arb.journalID).map { ArbRecovery.Leg(order: $0, fills: (try? journal.fills($0.clientOrderID)) ?? []) }
        let record = ArbRecovery.rebuild(arb, orders: orders, nowNanoseconds: ExecutionService.systemWallClock(), cause: cause)
        try journal.recordArb(record)
        return record
    }

    /// An order whose outcome was unknown is now final: if it is a leg of an arb that has a record, the
    /// arb's record is rebuilt from its orders (an `exposure_left` recorded while a leg's outcome was
    /// unknown becomes what the venue says happened) and the loss the breaker counted for its exposure is
    /// revised to the exposure left, as a restart would count it; if it is a single signal's, the signal's
    /// status becomes the order's outcome. An arb without a record (its run stopped before deciding) is
    /// left to `restorePendingSignals`.
    static func orderResolved(_ clientOrderID: String, service: ExecutionService, log: @Sendable (String) -> Void) async {
        let journal = service.journal
        guard let order = (try? journal.order(clientOrderID)) ?? nil, let signalID = order.signalID,
              let signal = (try? journal.signal(signalID)) ?? nil else { return }
        guard signalID.hasPrefix("arb:") else {
            // A single signal's order: the signal's outcome is the order's now (it was `outcome_unknown`).
            journal.setSignalStatusSoon([signalID], ExecutionLoop.signalStatus(state: order.state, filled: order.filled, requested: order.requested,
                                                                             rejectionCode: order.errorCode, ambiguous: false) ?? "unfilled")
            return
        }
        guard let before = (try? journal.arb(String(signalID.dropFirst(4)))) ?? nil,
              let record = try? rebuiltArb(signal.payload, receivedNanoseconds: signal.receivedNanoseconds, journal: journal,
                                           cause: "re-recorded after \(clientOrderID)'s unknown outcome was resolved") else { return }
        log("ARB \(record.arbID.escapingControlCharacters) \(record.pairID.escapingControlCharacters) \(record.outcome.rawValue): \(record.reason)")
        await service.reviseExposure(from: before.exposure, to: record.exposure, countedAtNanoseconds: before.decidedNanoseconds, ticker: record.pairID,
                                     reason: "arb \(record.arbID) \(record.outcome.rawValue) after \(clientOrderID) resolved")
    }
}

/// What a finished run reports.
public struct RunSummary: Sendable {
    public var stats: LoopStats
    public var arbs: ArbStats
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
    /// Told the admin API's endpoint once it listens (the journal lock names it for other commands).
    private let adminReady: @Sendable (String) -> Void
    /// Pairs the detector watches besides `PAIRS_FILE`'s (the embedded simulators' pairs).
    private let embeddedPairs: [MarketPair]
    /// Set when this run is a remote trader (`run-executor trader`).
    let trader: TraderRole?

    public init(config: V3Config, plan: RunPlan, origin: SignalOrigin, log: @escaping @Sendable (String) -> Void,
                adminReady: @escaping @Sendable (String) -> Void = { _ in }, embeddedPairs: [MarketPair] = [], trader: TraderRole? = nil) {
        self.embeddedPairs = embeddedPairs
        self.trader = trader
        self.config = config
        self.plan = plan
        self.origin = origin
        self.log = log
        self.adminReady = adminReady
    }

    /// A running admin API and the files that let the CLI find it.
    struct Admin {
        let server: AdminServer
        let token: String
        let endpoint: String
    }

    /// Starts the admin API with a fresh token, written (0600 from the first byte) to the token file with
    /// the endpoint beside it.
    private func startAdmin(port: Int, api: (String) -> AdminAPI) async throws -> Admin {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
        let handler = api(token)
        let server: AdminServer
        do { server = try await AdminServer.start(port: port) { await handler.handle($0) } } catch {
            throw RunError(description: "admin API: cannot listen on 127.0.0.1:\(port) (\(error)); set ADMIN_PORT or --admin-port (0 picks a free port)")
        }
        let endpoint = "http://127.0.0.1:\(server.port)"
        do { try AdminFiles.write(token: token, endpoint: endpoint, tokenFile: config.admin.tokenFile) } catch {
            await server.stop()
            throw error
        }
        log("admin API on \(endpoint) (bearer token in \(config.admin.tokenFile), mode 0600)")
        adminReady(endpoint)
        return Admin(server: server, token: token, endpoint: endpoint)
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
        if let problem = AdminFiles.check(tokenFile: config.admin.tokenFile) { throw RunError(description: problem, isConfiguration: true) }

        await move(.connectingData)
        var venues = try await Venues.connect(config, mode: plan.mode, connectedData: { await move(.connectingTrading) }, log: log)
        let traders = TraderRegistry()
        if config.traders.listen != nil {
            // Every venue with market data here can take legs (through a trader where not local).
            let platforms: Set<Platform> = venues.polymarket == nil ? [.kalshi] : [.kalshi, .polymarket]
            venues = venues.routing(through: routedVenues(venues.executor, platforms: platforms, traders: traders))
        }
        do {
            return try await operate(venues, traders: traders, board: board, move: move, journalPath: journalPath, adminPort: adminPort, duration: duration)
        } catch {
            await move(.error("\(error)"))
            await venues.shutdown()
            throw error
        }
    }

    /// Everything after the connections: journal, reconciliation, services, shutdown.
    /// A controller's venues: each platform's orders go to its connected trader or execute here as
    /// `LEG_ROUTING` and `CONTROLLER_PLATFORMS` say.
    private func routedVenues(_ router: VenueRouter, platforms: Set<Platform>, traders: TraderRegistry) -> VenueRouter {
        let authorised = config.controllerPlatforms
        var adapters: [Platform: VenueRouter.Adapter] = [:]
        for platform in platforms {
            adapters[platform] = RoutedVenue(platform: platform, local: authorised.contains(platform) ? router.adapter(for: platform) : nil,
                                             traders: traders, rule: config.traders.routing, log: log)
        }
        let local = platforms.filter { authorised.contains($0) && router.adapter(for: $0) != nil }.map(\.rawValue).sorted()
        log("[HYBRID] controller: legs go to a connected trader \(config.traders.routing == .remoteFirst ? "first" : "only where not authorised locally"); "
            + "local execution authorised for \(local.isEmpty ? "no platform" : local.joined(separator: ", ")) (CONTROLLER_PLATFORMS); "
            + "a leg with neither aborts its whole arb before any leg is sent")
        return VenueRouter(adapters)
    }

    private func operate(_ venues: Venues, traders: TraderRegistry, board: RunBoard, move: (RunState) async -> Void, journalPath: String, adminPort: Int?,
                         duration: Duration?) async throws -> RunSummary {
        await move(.syncing)
        let service = try await venues.prepareExecution(journalPath: journalPath, mode: plan.mode, config: config, log: log,
                                                        resolved: { [log] id, service in await Self.orderResolved(id, service: service, log: log) })
        let market = venues.market

        // Accepted signals wait in the inbox, journaled before their source hears they were accepted.
        var intakeSettings = SignalInbox.Settings()
        intakeSettings.capacity = config.signals.inboxCapacity
        intakeSettings.maxAge = config.signals.maxAge
        intakeSettings.maxLineBytes = config.signals.maxLineBytes
        let inbox = SignalInbox(settings: intakeSettings, store: service.journal)
        let books = BookWatcher(log: log, hasBook: { await market.book($0).freshBook != nil }) { tickers in try await market.watchBooks(tickers) }
        // The engine takes arb signals before any source (or the restore) can deliver one.
        let arbitrage = try await startArbitrage(venues, service: service, inbox: inbox, books: books)
        try await restorePendingSignals(service.journal, into: inbox, arbs: arbitrage.engine, service: service)
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
            reader = try SignalFileSource.start(path: path, into: inbox) { event in
                switch event {
                case let .malformed(problem): log("MALFORMED \(problem)")
                case let .refused(problem): log("REFUSED \(problem)")
                case let .readError(message): log("ERROR \(message)")
                case let .finished(lines): log("signals: end of \(path == "-" ? "standard input" : path) after \(lines) line(s)")
                }
            }
            try await market.watch(.trade)
        case .none:
            try await market.watch(.trade)
        }
        try await market.watch(.marketLifecycle)
        var loopSettings = ExecutionLoop.Settings()
        loopSettings.cycleInterval = config.loop.cycleInterval
        loopSettings.maxSignalsPerCycle = config.loop.maxSignalsPerCycle
        let loop = ExecutionLoop(inbox: inbox, service: service, catalog: venues.tradingCatalog, synthetic: synthetic, settings: loopSettings,
                                 log: log, books: synthetic == nil ? books : nil)
        let paperMode = plan.mode == .paper
        let polymarket = venues.polymarket
        let desk = ManualOrderDesk(service: service, catalog: venues.tradingCatalog, polymarket: polymarket) { platform, ticker in
            guard paperMode else { return }
            switch platform {
            case .kalshi: try await market.waitForBook(ticker)
            case .polymarket: try await polymarket?.waitForBook(ticker)
            }
        }
        let polymarketBooks = venues.polymarket
        // Remote traders (TRADER_LISTEN): authenticated, listed, and given the legs of their platforms.
        await traders.setLog(log)
        var traderListener: TraderListener?
        var beacon: Beacon.Announcer?
        if let listen = config.traders.listen, let secret = config.traders.secret {
            var settings = TraderListener.Settings()
            settings.dryRun = config.arbitrage.dryRun
            var tls: TraderServerTLS?
            if let certificate = config.traders.tlsCertificate, let key = config.traders.tlsKey {
                do { tls = try TraderServerTLS(certificateFile: certificate, keyFile: key) } catch {
                    throw RunError(description: "TRADER_TLS_CERT/TRADER_TLS_KEY: cannot load the certificate and key (\(error))", isConfiguration: true)
                }
            }
            let listener: TraderListener
            do {
                listener = try await TraderListener.start(host: listen.host, port: listen.port, secret: secret.bytes, registry: traders,
                                                          settings: settings, tls: tls, log: log)
            } catch {
                throw RunError(description: "TRADER_LISTEN: cannot listen on \(listen) (\(error))", isConfiguration: true)
            }
            traderListener = listener
            if config.traders.beaconPort > 0 {
                let announcement = Beacon.Announcement(wsPort: listener.port, scheme: tls == nil ? "ws" : "wss")
                do {
                    beacon = try await Beacon.Announcer.start(announcement, to: config.traders.beaconAddress, port: config.traders.beaconPort)
                    log("[TRADERS] beacon: announcing port \(listener.port) to udp://\(config.traders.beaconAddress):\(config.traders.beaconPort) every second")
                } catch {
                    log("warning: beacon: cannot announce to \(config.traders.beaconAddress):\(config.traders.beaconPort) (\(error)); traders need WEBSOCKET_URL")
                }
            }
        }
        // Resting orders cancelled at the stop, within one limit for every pass (a trader's link runs the first).
        let cancelResting = CancelRestingService(service: service, arbs: arbitrage.engine)
        var traderServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let trader {
            let deskVenues = ArbVenuesOfRun(venues: venues, watcher: books)
            let desk = TraderDesk(platform: trader.platform, legs: ServiceLegExecutor(service: service, venues: deskVenues, orderID: TraderDesk.clientOrderID),
                                  journal: service.journal, ready: { platform, instrument in
                                      // A paper trader fills against its venue's book: subscribed on first use.
                                      guard paperMode, let market = await deskVenues.market(platform, instrument) else { return }
                                      _ = await deskVenues.book(platform, market.ticker)
                                  }, log: log)
            let platform = trader.platform
            traderServices.append(.init(service: TraderLinkService(role: trader, desk: desk, service: service, cancelResting: cancelResting,
                                                                   balance: { await deskVenues.available(platform) }, log: log)))
        }
        var dashboard = DashboardSource(venues: plan.venueSummary) { tickers in
            await MarksService.currentMarks(market: market, polymarket: polymarketBooks, tickers: tickers)
        }
        dashboard.traders = traders
        let admin = try await startAdmin(port: adminPort ?? config.admin.port,
                                         api: { AdminAPI(token: $0, board: board, service: service, loop: loop, inbox: inbox, desk: desk,
                                                         hybrid: plan.hybrid, dashboard: dashboard, arbs: arbitrage.engine, log: log) })
        await move(.ready)

        var logger = Logger(label: "run-executor.services")
        logger.logLevel = .warning
        let unknownOutcomes = UnknownOutcomes(service: service, ledger: venues.executor, absentWindow: config.absentWindow, log: log,
                                              resolved: { [log] id in await Self.orderResolved(id, service: service, log: log) })
        var polymarketServices: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let polymarket { polymarketServices.append(.init(service: PolymarketFeedService(polymarket: polymarket, log: log))) }
        if let detector = arbitrage.detector { polymarketServices.append(.init(service: ArbDetectorService(detector: detector))) }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: polymarketServices + [
            .init(service: MarketFeedService(market: market, catalog: venues.tradingCatalog, paper: venues.paper, service: service, board: board,
                                             metrics: venues.metrics, log: log)),
            .init(service: DiscoveryService(catalog: venues.dataCatalog, interval: .seconds(300), log: log)),
            .init(service: ResultCheckService(results: MarketResults(service: service, catalog: venues.tradingCatalog, polymarket: polymarket),
                                              paper: venues.paper, interval: config.resultCheckInterval)),
            .init(service: UnresolvedOrdersService(outcomes: unknownOutcomes, interval: min(.seconds(5), config.absentWindow / 2))),
            .init(service: MarksService(market: market, polymarket: polymarketBooks, journal: service.journal, interval: .seconds(30))),
            .init(service: AdminService(server: admin.server)),
            // Shut down in reverse: the loop stops, then resting orders are cancelled, then the admin API stops.
            .init(service: cancelResting),
            .init(service: ExecutionLoopService(loop: loop)),
        ] + traderServices + [
            .init(service: DeadlineService(duration: duration), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: EarlySignalService(log: log), successTerminationBehavior: .gracefullyShutdownGroup),
        ], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch where !(error is CancellationError) { log("service group ended: \(error)") } catch {}
        reader?.cancel()
        // Arbs in flight finish (their legs and any close) before resting orders are cancelled.
        await arbitrage.engine.drain()
        await books.stop()

        await move(.shuttingDown)
        // Again for an order placed while the first pass ran, within what is left of the stop's limit.
        await cancelResting.cancel()
        let cancelled = cancelResting.cancelled.withLock { $0 }
        log("shutdown: cancelled \(cancelled) resting order(s) this run placed")
        let open = await service.openOrders().map(\.clientOrderID).sorted()
        if !open.isEmpty {
            log("WARNING shutdown: \(open.count) order(s) may still rest on the venue, no cancel of theirs confirmed within "
                + "\(CancelRestingService.limit) (\(namedOrders(open))); the next start cancels them, or `run-executor cancel-all` now")
        }
        // The cancels above reach only orders an execution still follows.
        await unknownOutcomes.askBeforeExit("shutdown")
        await MarksService.record(market: market, polymarket: polymarketBooks, journal: service.journal)
        await beacon?.stop()
        await traderListener?.stop()
        AdminFiles.remove(token: admin.token, endpoint: admin.endpoint, tokenFile: config.admin.tokenFile)
        let waiting = await inbox.waiting
        if waiting > 0 { log("shutdown: \(waiting) accepted signal(s) not traded yet; the next start trades them while younger than \(config.signals.maxAge), else expires them") }
        // The last signals' rows and outcomes, still waiting for their batch (a crash leaves them to the next start).
        do { try service.journal.writeWaitingSignals() } catch { log("ERROR shutdown: signal rows or outcomes could not be journaled: \(error)") }
        await venues.shutdown()
        await move(.stopped)
        var latency: [LatencyStage: LatencySummary] = [:]
        for stage in LatencyStage.allCases { latency[stage] = service.metrics.summary(stage) }
        return RunSummary(stats: await loop.currentStats(), arbs: await arbitrage.engine.stats, cancelledAtShutdown: cancelled,
                          haltReason: await service.haltReason, latency: latency)
    }
}
