import Arbitrage
import Execution
import Foundation
import Markets
import ServiceLifecycle
import Synchronization
import TraderLink

/// What a run started as a remote trader (`run-executor trader`) needs to find and join its controller.
public struct TraderRole: Sendable {
    public var platform: Platform
    /// `--controller` or `WEBSOCKET_URL`; `nil`: discovered by the controller's beacon.
    public var controllerURL: String?
    public var secret: [UInt8]
    public var tls: TraderTLS?
    public var beaconListen: String
    public var beaconPort: Int

    public init(platform: Platform, controllerURL: String?, secret: [UInt8], tls: TraderTLS?, beaconListen: String, beaconPort: Int) {
        self.platform = platform
        self.controllerURL = controllerURL
        self.secret = secret
        self.tls = tls
        self.beaconListen = beaconListen
        self.beaconPort = beaconPort
    }
}

/// The trader's link to its controller: connects (or discovers the controller by beacon), authenticates,
/// executes the legs it is sent through the desk and answers `leg_status`, reports its cash, and
/// reconnects with backoff (0.5 s doubling to 10 s) when the link drops. On shutdown it stops taking
/// legs, lets those running end, cancels what rests, and tells the controller before closing.
final class TraderLinkService: Service, Sendable {
    let role: TraderRole
    let desk: TraderDesk
    let service: ExecutionService
    /// The stop's cancels, within the run's one limit for all of them.
    let cancelResting: CancelRestingService
    let balance: @Sendable () async -> Dollars?
    let log: @Sendable (String) -> Void
    private let current = Mutex<ControllerLink?>(nil)

    init(role: TraderRole, desk: TraderDesk, service: ExecutionService, cancelResting: CancelRestingService, balance: @escaping @Sendable () async -> Dollars?,
         log: @escaping @Sendable (String) -> Void) {
        self.role = role
        self.desk = desk
        self.service = service
        self.cancelResting = cancelResting
        self.balance = balance
        self.log = log
    }

    func run() async throws {
        // Detached: the WebSocket client closes on the group's graceful shutdown when it can see it (a task
        // local), and the link must outlive it long enough to tell the controller.
        let connection = Task.detached { await self.connectLoop() }
        try? await gracefulShutdown()
        await desk.close()
        // Bounded like the run's own stop (a venue that does not answer must not hold it); the run's last pass
        // names what may still rest.
        let cancelled = await cancelResting.cancel() ?? 0
        var told = false
        if let link = current.withLock({ $0 }) {
            do {
                try await link.send(.shutdown(.init(reason: "trader stopping", cancelled: cancelled)))
                told = true
            } catch {
                log("[TRADER] shutdown: the controller could not be told (\(error))")
            }
            try? await link.close()
        }
        log("[TRADER] shutdown: cancelled \(cancelled) resting order(s)" + (told ? "; the controller was told" : ""))
        connection.cancel()
        await connection.value
    }

    private func report(_ link: ControllerLink) async {
        guard let cash = await balance() else { return }
        try? await link.send(.balance(.init(platform: role.platform, available: cash)))
    }

    private func connectLoop() async {
        var backoff: Duration = .milliseconds(500)
        while !Task.isCancelled {
            let url: String
            if let configured = role.controllerURL {
                url = configured
            } else {
                log("[TRADER] no controller URL: listening for its beacon on udp://\(role.beaconListen):\(role.beaconPort)")
                do { url = try await Beacon.discover(listeningOn: role.beaconListen, port: role.beaconPort).url } catch {
                    if Task.isCancelled { return }
                    log("[TRADER] beacon: \(error); retrying in \(backoff)")
                    try? await Task.sleep(for: backoff)
                    continue
                }
                log("[TRADER] beacon: controller found at \(url)")
            }
            log("[TRADER] connecting to \(url) as the \(role.platform.rawValue) trader")
            let authenticated = SessionFlag()
            let ended = await TraderConnector.session(url: url, secret: role.secret, platforms: [role.platform], tls: role.tls, onInit: { [self] initial, link in
                authenticated.set()
                current.withLock { $0 = link }
                await desk.setDryRun(initial.dryRun)
                log("[TRADER] connected to \(url): executing \(initial.platforms.map(\.rawValue).joined(separator: ",")) legs"
                    + (initial.dryRun ? " as a DRY RUN (the controller's dry_run: legs are checked, never sent)" : ""))
                await report(link)
            }, receive: { [self] message, link in
                switch message {
                case let .executeLeg(leg):
                    Task {
                        let answer = await desk.execute(leg)
                        do { try await link.send(.legResult(answer)) } catch {
                            log("[TRADER] leg \(leg.legID.escapingControlCharacters): the result could not be sent (\(error)); the controller will ask for it")
                        }
                        await report(link)
                    }
                case let .legStatus(asked):
                    try? await link.send(.legResult(await desk.status(asked.legID)))
                case .ping:
                    await report(link)
                case let .error(error):
                    log("[TRADER] controller says: \(error.message.escapingControlCharacters)")
                default:
                    break
                }
            })
            current.withLock { $0 = nil }
            if Task.isCancelled { return }
            if authenticated.isSet { backoff = .milliseconds(500) }
            switch ended {
            case let .refused(reason): log("[TRADER] refused by the controller: \(reason); retrying in \(backoff)")
            case let .disconnected(reason): log("[TRADER] disconnected from \(url) (\(reason)); reconnecting in \(backoff)")
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(10))
        }
    }
}

/// Set once a session authenticated (its backoff then starts over).
private final class SessionFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
