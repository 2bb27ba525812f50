import ArgumentParser
import Config
import Coordinator
import Execution
import Foundation
import KalshiWire
import Markets

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the trading loop (the default command).",
        discussion: """
            Paper-trades by default. With no configuration at all, starts the embedded exchange simulator as \
            both the market-data and the trading venue and paper-trades its synthetic signals. \
            ENVIRONMENT=live asks the operator to type CONFIRM (exit 3 otherwise). On SIGINT/SIGTERM (or \
            after --duration) it stops taking signals, cancels the resting orders it placed, flushes the \
            journal and prints final stats.
            """
    )
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Read JSON-lines signals from a file, or - for stdin.", valueName: "file"))
    var signals: String?
    @Option(help: ArgumentHelp("Stop after this many seconds (1 to 31536000).", valueName: "seconds"))
    var duration: Int?
    @Flag(help: "Skip the typed live confirmation (unattended runs; logged loudly).")
    var confirmLive = false
    @Option(help: ArgumentHelp("Journal database path (default JOURNAL_PATH or data/executor.sqlite).", valueName: "path"))
    var journal: String?
    @Option(help: "Seed of the embedded simulator and the synthetic signals (no configuration only).")
    var seed: UInt64 = 1
    @Option(name: .customLong("admin-port"), help: ArgumentHelp("Admin API port on 127.0.0.1 (default ADMIN_PORT or 8089; 0 picks a free one).", valueName: "port"))
    var adminPort: Int?

    func validate() throws {
        if let duration { try CLIRange.check("--duration", duration, CLIRange.duration) }
        if let adminPort { try CLIRange.check("--admin-port", adminPort, CLIRange.port) }
        if let signals, let problem = SignalFileSource.validate(path: signals) { throw ValidationError(problem) }
        if let journal { try CLIRange.checkPath("--journal", journal) }
    }

    func run() async throws {
        var start = try TradingStart.load(options, confirmLive: confirmLive, journal: journal)
        // After the live confirmation (Ctrl-C there still ends the process at once).
        EarlySignals.install()
        let lock = try lockJournal(start.journalPath, command: "run")
        let embedded = try await start.startEmbedded(seed: seed)
        let (config, plan) = (start.config, start.plan)
        let origin: SignalOrigin = signals.map { .file($0) } ?? .synthetic(seed: seed)
        if signals == nil, !start.isEmbedded {
            log("no --signals given: trading synthetic signals read off the data venue's books")
        }
        let session = TradingSession(config: config, plan: plan, origin: origin, log: log, adminReady: { lock.publish(adminEndpoint: $0) },
                                     embeddedPairs: embedded?.pairs ?? [])
        let duration = duration
        let summary = try await start.run(session, command: "run", embedded: embedded, lock: lock, adminPort: adminPort, duration: duration)
        print("final \(summary.stats.line)")
        if summary.arbs.received > 0 { print("final \(summary.arbs.line)") }
        for stage in LatencyStage.allCases {
            guard let latency = summary.latency[stage], latency.count > 0 else { continue }
            print("latency \(stage.rawValue): n=\(latency.count) p50=\(latency.p50)µs p90=\(latency.p90)µs p99=\(latency.p99)µs max=\(latency.max)µs")
        }
        print("cancelled at shutdown: \(summary.cancelledAtShutdown)")
        if let halt = summary.haltReason { print("HALTED: \(halt)") }
        Report.printFinalTables(journal: start.journalPath)
        flushStandardOutput()
    }
}

/// What a trading command (`run`, `order`) starts from: the validated configuration, its plan, the live
/// confirmation when the plan is live, and the journal it trades on.
struct TradingStart {
    var config: V3Config
    let plan: RunPlan
    /// No venue is configured: the embedded simulator is the venue.
    let isEmbedded: Bool
    let journalPath: String

    static func load(_ options: ConfigOptions, confirmLive: Bool, journal: String?) throws -> TradingStart {
        let report = try options.loadReport()
        let plan = RunPlan(report: report)
        if plan.mode == .live { try confirmLiveTrading(skip: confirmLive) }
        return TradingStart(config: report.config, plan: plan, isEmbedded: report.isEmbeddedDefault, journalPath: journal ?? report.config.journalPath)
    }

    /// Runs `session` to its end, then stops the embedded simulator and releases the journal (also when it
    /// fails: exit 2 for a configuration problem, 1 otherwise, the error printed as `command: …`).
    func run(_ session: TradingSession, command: String, embedded: EmbeddedVenue.Started?, lock: JournalLock, adminPort: Int?,
             duration: Int?) async throws -> RunSummary {
        let summary: RunSummary
        do {
            // The embedded default takes any free admin port (the CLI finds it through the endpoint file).
            let port = adminPort ?? (isEmbedded ? 0 : nil)
            summary = try await session.run(journalPath: journalPath, adminPort: port, duration: duration.map { .seconds($0) })
        } catch {
            printError("\(command): \(error)")
            if let embedded { await embedded.stop() }
            lock.release()
            throw (error as? RunError)?.isConfiguration == true ? ExitStatus.configuration.exitCode : ExitStatus.failure.exitCode
        }
        if let embedded { await embedded.stop() }
        lock.release()
        return summary
    }

    /// Starts the embedded simulator when no venue is configured and points the configuration at it.
    mutating func startEmbedded(seed: UInt64) async throws -> EmbeddedVenue.Started? {
        guard isEmbedded else { return nil }
        let started = try await EmbeddedVenue.start(seed: seed)
        started.configure(&config, seed: seed)
        // The demo trades single signals and arbs (two orders each) together: limits left at their
        // defaults are widened so a newcomer sees trades rather than rate denials.
        let defaults = RiskLimits()
        if config.risk.maxOrdersPerMinute == defaults.maxOrdersPerMinute { config.risk.maxOrdersPerMinute = 120 }
        if config.risk.maxDailyTrades == defaults.maxDailyTrades { config.risk.maxDailyTrades = 5_000 }
        // Random synthetic signals lose in streaks by construction; the streak limit stays on, looser.
        if config.risk.maxConsecutiveLosses == defaults.maxConsecutiveLosses { config.risk.maxConsecutiveLosses = 25 }
        return started
    }
}

/// Bounds of the numeric flags: a value outside is a usage error naming the flag, never a wrapped port
/// or a trapped conversion.
enum CLIRange {
    static let port = 0...65_535
    /// Up to a year of seconds.
    static let duration = 1...31_536_000

    static func check(_ flag: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) \(value) is out of range (\(range.lowerBound)…\(range.upperBound))")
        }
    }

    /// A path flag must name a file, not a directory.
    static func checkPath(_ flag: String, _ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(flag) \(path) is a directory, not a file")
        }
    }
}

/// Takes the journal's writer lock, or exits 2 naming the journal and the process holding it.
func lockJournal(_ path: String, command: String) throws -> JournalLock {
    do {
        return try JournalLock.acquire(journal: path, command: command)
    } catch let busy as JournalBusyError {
        printError("\(command): \(busy)")
        throw ExitStatus.configuration.exitCode
    }
}

/// Live trading needs the operator to type CONFIRM, or `--confirm-live` for unattended runs.
func confirmLiveTrading(skip: Bool) throws {
    if skip {
        log("!!! LIVE TRADING WITH REAL MONEY — confirmation skipped by --confirm-live !!!")
        return
    }
    print("LIVE mode: orders will use REAL MONEY. Type CONFIRM to continue: ", terminator: "")
    flushStandardOutput()
    guard readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) == "CONFIRM" else {
        printError("live trading not confirmed; nothing was sent")
        throw ExitStatus.liveConfirmationRefused.exitCode
    }
}

/// A timestamped log line on standard output. Control characters are written out (`\n` as the two
/// characters `\` `n`): a value from outside (a signal id, a ticker) can never start a line of its own.
@Sendable func log(_ line: String) {
    let now = Date()
    let stamp = ISO8601DateFormatter.string(from: now, timeZone: TimeZone(identifier: "UTC") ?? .current,
                                            formatOptions: [.withInternetDateTime, .withFractionalSeconds])
    print("\(stamp) \(line.escapingControlCharacters)")
    flushStandardOutput()
}
