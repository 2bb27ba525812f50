import ArgumentParser
import Config
import Coordinator
import Foundation
import Markets
import TraderLink

struct Trader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as a remote trader: execute the legs a controller routes to this platform.",
        discussion: """
            Connects to the controller (--controller, else WEBSOCKET_URL, else the controller's UDP beacon on \
            BEACON_PORT, loopback unless BEACON_LISTEN says otherwise), proves it holds TRADER_SECRET (or \
            TRADER_SECRET_FILE) after the controller proved it, and executes each leg through its own breaker \
            and journal (paper by default, like `run`), each leg id at most once across reconnects and \
            restarts. Reconnects with backoff. On SIGINT/SIGTERM it stops taking legs, cancels what rests and \
            tells the controller. Its journal defaults to data/trader-PLATFORM.sqlite and its admin token to \
            data/trader-PLATFORM.admin.token (JOURNAL_PATH, ADMIN_TOKEN_FILE and the flags override).
            """
    )
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Platform this trader executes on: kalshi or polymarket (default: ~/.arb/config.toml's platform).", valueName: "platform"))
    var platform: String?
    @Option(help: ArgumentHelp("The controller's WebSocket URL (ws:// or wss://); default WEBSOCKET_URL, else found by its beacon.", valueName: "url"))
    var controller: String?
    @Option(help: ArgumentHelp("Journal database path.", valueName: "path"))
    var journal: String?
    @Option(name: .customLong("admin-port"), help: ArgumentHelp("Admin API port on 127.0.0.1 (default ADMIN_PORT or 8089; 0 picks a free one).", valueName: "port"))
    var adminPort: Int?
    @Option(help: ArgumentHelp("Stop after this many seconds (1 to 31536000).", valueName: "seconds"))
    var duration: Int?
    @Flag(help: "Skip the typed live confirmation (unattended runs; logged loudly).")
    var confirmLive = false
    @Option(help: "Seed of the embedded simulator (no configuration only).")
    var seed: UInt64 = 1

    func validate() throws {
        if let platform, Platform(rawValue: platform) == nil { throw ValidationError("--platform \(platform): expected kalshi or polymarket") }
        if let controller, URL(string: controller).map({ ["ws", "wss"].contains($0.scheme ?? "") && $0.host != nil }) != true {
            throw ValidationError("--controller \(controller): expected ws://HOST:PORT or wss://HOST:PORT")
        }
        if let controller, controller.hasPrefix("wss://"), let host = URL(string: controller)?.host, host.first == "[" || host.allSatisfy({ $0.isNumber || $0 == "." }) {
            throw ValidationError("--controller \(controller): wss:// needs the controller's host name as its certificate names it (an IP address cannot be sent as TLS SNI)")
        }
        if let duration { try CLIRange.check("--duration", duration, CLIRange.duration) }
        if let adminPort { try CLIRange.check("--admin-port", adminPort, CLIRange.port) }
        if let journal { try CLIRange.checkPath("--journal", journal) }
    }

    func run() async throws {
        let report = try options.loadReport()
        let environment = ProcessInfo.processInfo.environment
        let bootstrap = (try? BootstrapFile.load(home: environment["HOME"])) ?? nil
        guard let platform = platform.flatMap(Platform.init(rawValue:)) ?? bootstrap?.platform else {
            printError("trader: --platform kalshi|polymarket is required (or `run-executor bootstrap --role trader --platform …`)")
            throw ExitStatus.configuration.exitCode
        }
        var config = report.config
        guard let secret = config.traders.secret else {
            printError("trader: TRADER_SECRET or TRADER_SECRET_FILE is required: the controller and its traders prove they hold it before anything else")
            throw ExitStatus.configuration.exitCode
        }
        func isDefault(_ variable: String) -> Bool { report.settings.first { $0.variable == variable }?.origin == .defaultValue }
        if isDefault("ADMIN_TOKEN_FILE") { config.admin.tokenFile = "data/trader-\(platform.rawValue).admin.token" }
        let journalPath = journal ?? (isDefault("JOURNAL_PATH") ? "data/trader-\(platform.rawValue).sqlite" : config.journalPath)
        let plan = RunPlan(report: report)
        if plan.mode == .live { try confirmLiveTrading(skip: confirmLive) }
        EarlySignals.install()
        var start = TradingStart(config: config, plan: plan, isEmbedded: report.isEmbeddedDefault, journalPath: journalPath)
        let url = controller ?? start.config.controllerURL?.absoluteString
        var tls: TraderTLS?
        if url?.hasPrefix("wss://") == true || (url == nil && start.config.traders.tlsCA != nil) {
            do { tls = try TraderTLS(trusting: start.config.traders.tlsCA) } catch {
                printError("trader: TRADER_TLS_CA: cannot load \(start.config.traders.tlsCA ?? "the system roots") (\(error))")
                throw ExitStatus.configuration.exitCode
            }
        }
        let lock = try lockJournal(journalPath, command: "trader")
        if start.isEmbedded { log("trader: no venue configured; paper-trading on an embedded simulator of its own (seed \(seed))") }
        let embedded = try await start.startEmbedded(seed: seed)
        if platform == .polymarket, start.config.polymarket == nil {
            printError("trader: --platform polymarket needs a Polymarket venue (POLY_CLOB_URL, POLY_WS_URL, POLY_GAMMA_URL)")
            if let embedded { await embedded.stop() }
            lock.release()
            throw ExitStatus.configuration.exitCode
        }
        let role = TraderRole(platform: platform, controllerURL: url, secret: secret.bytes, tls: tls, beaconListen: start.config.traders.beaconListen,
                              beaconPort: start.config.traders.beaconPort)
        let session = TradingSession(config: start.config, plan: plan, origin: .none, log: log, adminReady: { lock.publish(adminEndpoint: $0) }, trader: role)
        let summary = try await start.run(session, command: "trader", embedded: embedded, lock: lock, adminPort: adminPort, duration: duration)
        print("final \(summary.stats.line)")
        print("cancelled at shutdown: \(summary.cancelledAtShutdown)")
        if let halt = summary.haltReason { print("HALTED: \(halt)") }
        flushStandardOutput()
    }
}

struct Bootstrap: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write ~/.arb/config.toml: this machine's role (controller or trader), beacon port and WebSocket port.",
        discussion: """
            Values come from the flags, or are asked for when standard input is a terminal (Enter keeps the \
            default shown). The file is the lowest-precedence configuration: beacon_port is BEACON_PORT; a \
            controller's ws_port is TRADER_LISTEN on 127.0.0.1 (set TRADER_LISTEN to listen elsewhere); a \
            trader's platform is its default --platform. An existing file is kept unless --force.
            """
    )
    @Option(help: ArgumentHelp("controller or trader.", valueName: "role")) var role: String?
    @Option(name: .customLong("beacon-port"), help: ArgumentHelp("UDP beacon port (default 9000).", valueName: "port")) var beaconPort: Int?
    @Option(name: .customLong("ws-port"), help: ArgumentHelp("The controller's WebSocket port for traders (default 9001).", valueName: "port")) var wsPort: Int?
    @Option(help: ArgumentHelp("A trader's platform: kalshi or polymarket.", valueName: "platform")) var platform: String?
    @Flag(help: "Replace an existing ~/.arb/config.toml.") var force = false

    func validate() throws {
        if let role, BootstrapFile.Role(rawValue: role) == nil { throw ValidationError("--role \(role): expected controller or trader") }
        if let beaconPort { try CLIRange.check("--beacon-port", beaconPort, CLIRange.port) }
        if let wsPort { try CLIRange.check("--ws-port", wsPort, CLIRange.port) }
        if let platform, Platform(rawValue: platform) == nil { throw ValidationError("--platform \(platform): expected kalshi or polymarket") }
    }

    func run() throws {
        guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
            printError("bootstrap: HOME is not set; cannot place ~/.arb/config.toml")
            throw ExitStatus.configuration.exitCode
        }
        let path = BootstrapFile.path(home: home)
        if FileManager.default.fileExists(atPath: path), !force {
            printError("bootstrap: \(path) exists; --force replaces it")
            throw ExitStatus.configuration.exitCode
        }
        let interactive = isatty(STDIN_FILENO) == 1
        func ask(_ question: String, _ fallback: String) -> String {
            guard interactive else { return fallback }
            print("\(question) [\(fallback)]: ", terminator: "")
            flushStandardOutput()
            let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) ?? ""
            return answer.isEmpty ? fallback : answer
        }
        func port(_ flag: Int?, _ question: String, _ fallback: Int) throws -> Int {
            if let flag { return flag }
            let text = ask(question, String(fallback))
            guard let value = Int(text), CLIRange.port.contains(value) else { throw ValidationError("\(question): \(text) is not a port (0…65535)") }
            return value
        }
        guard let chosen = BootstrapFile.Role(rawValue: role ?? ask("Role (controller or trader)", "controller")) else {
            throw ValidationError("role: expected controller or trader")
        }
        var file = BootstrapFile(role: chosen)
        file.beaconPort = try port(beaconPort, "Beacon UDP port", 9_000)
        file.wsPort = try port(wsPort, "Controller WebSocket port", 9_001)
        if chosen == .trader {
            let name = platform ?? ask("Platform (kalshi or polymarket)", "kalshi")
            guard let value = Platform(rawValue: name) else { throw ValidationError("platform: \(name): expected kalshi or polymarket") }
            file.platform = value
        }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AdminFiles.writePrivate(file.toml, to: path)
        print("wrote \(path): role \(file.role.rawValue), beacon_port \(file.beaconPort), ws_port \(file.wsPort)"
              + (file.platform.map { ", platform \($0.rawValue)" } ?? ""))
        flushStandardOutput()
    }
}
