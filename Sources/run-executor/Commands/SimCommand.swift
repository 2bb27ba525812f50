import ArgumentParser
import ExchangeSim
import Foundation
import KalshiWire
import Markets
import PolymarketWire

struct Sim: AsyncParsableCommand {
    enum Venue: String, ExpressibleByArgument, CaseIterable {
        case kalshi, polymarket
    }

    static let configuration = CommandConfiguration(
        abstract: "Run an exchange simulator on 127.0.0.1: Kalshi's (the default) or Polymarket's CLOB V2 (--venue polymarket).",
        discussion: """
            Serves Kalshi REST under http://127.0.0.1:PORT/trade-api/v2 with signature checks, a matching \
            engine, Kalshi's rate limits and seeded synthetic market activity. Register a trader's existing \
            key with --key-id ID --public-key PEM (repeatable, in pairs; PEM is a file or the PEM text), the \
            way a Kalshi account registers an API key. Without them, two key pairs are generated and their \
            private keys written (mode 0600) under --keys-dir. Any client that signs correctly can trade. \
            With --venue polymarket: the CLOB REST API at the root, Gamma under /gamma, the market and user \
            channels under /ws; any Ethereum key can trade (its account starts with --starting-balance pUSD \
            when its API key is created through L1); a key is generated under --keys-dir for convenience.
            """
    )

    @Option(help: "Which exchange to simulate: kalshi or polymarket.") var venue: Venue = .kalshi
    @Option(help: "TCP port on 127.0.0.1 (0 picks a free port).") var port: Int = 8088
    @Option(help: "Seed for the synthetic market activity.") var seed: UInt64 = 1
    @Option(name: .customLong("key-id"), help: "Register this API key id (repeatable, paired with --public-key).")
    var keyIDs: [String] = []
    @Option(name: .customLong("public-key"), help: "Public key PEM (a file path or the PEM text) for the matching --key-id.")
    var publicKeys: [String] = []
    @Option(name: .customLong("keys-dir"), help: "Where generated private keys are written.") var keysDirectory = "data/sim-keys"
    @Option(name: .customLong("activity-ms"), help: "Milliseconds between synthetic actions (0 = no activity).") var activityMilliseconds = 250
    @Option(help: "Rate-limit tier the simulator enforces.") var tier: String = "basic"
    @Option(name: .customLong("starting-balance"), help: "Dollars each account starts with.") var startingBalance = "100000"
    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds")) var duration: Int?
    @Option(name: .customLong("arrivals-log"), help: ArgumentHelp("Append `client_order_id monotonic-ns` per order request received (latency benchmarks).", valueName: "path"))
    var arrivalsLog: String?
    @Flag(name: .customLong("no-rate-limits"), help: "Do not enforce Kalshi's rate limits (benchmarks only).")
    var noRateLimits = false
    @Option(name: .customLong("fault"), help: ArgumentHelp(
        "Inject faults on one endpoint (repeatable): 'ROUTE=SPEC', e.g. 'POST /portfolio/events/orders=drop:1,latency_ms:20'. "
            + "SPEC keys: latency_ms, error_rate, error_after_apply, drop, rate_limit, malformed, unavailable, "
            + "stale_ms (GET /portfolio/fills: fills made in the last N ms are not shown yet).", valueName: "route=spec"))
    var faults: [String] = []
    @Option(name: .customLong("delay-orders"), help: "Polymarket: the next N marketable orders answer \"live\" with nothing matched and match later.")
    var delayOrders = 0
    @Option(name: .customLong("fail-trades"), help: "Polymarket: the next N trades go MATCHED → FAILED (reversed).")
    var failTrades = 0
    @Option(name: .customLong("status-step-ms"), help: "Polymarket: milliseconds between a trade's MATCHED, MINED and CONFIRMED.")
    var statusStepMilliseconds = 150

    func validate() throws {
        guard keyIDs.count == publicKeys.count else {
            throw ValidationError("--key-id and --public-key come in pairs (got \(keyIDs.count) ids and \(publicKeys.count) keys)")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port \(port) is not a TCP port") }
        guard KalshiRateTier(rawValue: tier.lowercased()) != nil else {
            throw ValidationError("--tier \(tier): one of \(KalshiRateTier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let balance = try? Dollars(parsing: startingBalance), balance.micros >= 0 else {
            throw ValidationError("--starting-balance \(startingBalance) is not a dollar amount")
        }
        try CLIRange.check("--activity-ms", activityMilliseconds, 0...3_600_000)
        if let duration { try CLIRange.check("--duration", duration, CLIRange.duration) }
        try CLIRange.check("--delay-orders", delayOrders, 0...1_000_000)
        try CLIRange.check("--fail-trades", failTrades, 0...1_000_000)
        try CLIRange.check("--status-step-ms", statusStepMilliseconds, 1...3_600_000)
        if venue == .kalshi, delayOrders > 0 || failTrades > 0 {
            throw ValidationError("--delay-orders and --fail-trades simulate Polymarket; add --venue polymarket")
        }
    }

    func run() async throws {
        if venue == .polymarket { return try await runPolymarket() }
        let keys = SimKeyRegistry()
        var generated: [(id: String, path: String)] = []
        if keyIDs.isEmpty {
            generated = try generateKeys(into: keys)
        } else {
            for (id, key) in zip(keyIDs, publicKeys) {
                let pem = key.hasPrefix("-----BEGIN") ? key : try String(contentsOfFile: key, encoding: .utf8)
                do { try keys.register(keyID: id, publicKeyPEM: pem) } catch {
                    printError("--public-key for \(id): \(error)")
                    throw ExitStatus.configuration.exitCode
                }
            }
        }
        var configuration = SimExchange.Configuration()
        configuration.startingBalance = (try? Dollars(parsing: startingBalance)) ?? configuration.startingBalance
        let exchange = SimExchange(configuration: configuration)
        let faultRules = SimFaults(seed: seed)
        for fault in faults {
            do { try faultRules.apply(argument: fault) } catch {
                printError("--fault: \(error)")
                throw ExitStatus.configuration.exitCode
            }
        }
        let activity = SyntheticActivity(exchange: exchange, seed: seed)
        await activity.seedBooks()
        let server: SimServer
        do {
            server = try await SimServer.start(exchange: exchange, keys: keys, faults: faultRules, port: port,
                                             tier: KalshiRateTier(rawValue: tier.lowercased()) ?? .basic, rateLimits: !noRateLimits)
        } catch {
            printError("sim: cannot listen on 127.0.0.1:\(port): \(error)")
            throw ExitStatus.failure.exitCode
        }

        if let arrivalsLog {
            do { try server.arrivals.start(logTo: arrivalsLog) } catch {
                printError("sim: cannot write --arrivals-log \(arrivalsLog)")
                await server.stop()
                throw ExitStatus.failure.exitCode
            }
        }
        print("Kalshi simulator listening on \(server.baseURL.absoluteString) (seed \(seed), \(keys.registeredKeyIDs.count) key(s))")
        print("Markets: " + SimCatalog.standard().map(\.ticker).joined(separator: ", "))
        for key in generated {
            print("Generated key \(key.id): private key \(key.path)")
        }
        if let first = generated.first {
            print("\nTo trade on it (demo mode), put these in a .env file:")
            print("  ENVIRONMENT=paper\n  PAPER_TRADING=false\n  KALSHI_API_URL=\(server.baseURL.absoluteString)")
            print("  KALSHI_WS_URL=\(server.webSocketURL.absoluteString)\n  KALSHI_API_KEY_ID=\(first.id)\n  KALSHI_PRIVATE_KEY_PATH=\(first.path)")
        }
        flushStandardOutput()

        let activityTask = Task {
            if activityMilliseconds > 0 { await activity.run(every: .milliseconds(activityMilliseconds), clock: ContinuousClock()) }
        }
        await waitForShutdown(duration: duration)
        activityTask.cancel()
        await server.stop()
        print("Simulator stopped.")
    }

    private func generateKeys(into keys: SimKeyRegistry) throws -> [(id: String, path: String)] {
        try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var written: [(String, String)] = []
        for role in ["trader", "counterparty"] {
            let key = try KalshiPrivateKey.generate()
            let id = "sim-\(role)-" + UUID().uuidString.lowercased().prefix(8)
            let path = (keysDirectory as NSString).appendingPathComponent("\(id).pem")
            guard FileManager.default.createFile(atPath: path, contents: Data(key.pkcs8PEM.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(path)")
            }
            try keys.register(keyID: id, publicKeyPEM: key.publicKeyPEM)
            written.append((id, path))
        }
        return written
    }
}

/// Returns on SIGINT or SIGTERM, or after `duration` seconds.
func waitForShutdown(duration: Int?) async {
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let (stream, continuation) = AsyncStream<Void>.makeStream()
    let sources = [SIGINT, SIGTERM].map { number in
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        return source
    }
    let timer = Task {
        if let duration {
            try? await Task.sleep(for: .seconds(duration))
            continuation.yield()
        }
    }
    for await _ in stream { break }
    timer.cancel()
    sources.forEach { $0.cancel() }
}

/// Flushes buffered standard output (so a supervising process sees lines as they are printed).
func flushStandardOutput() {
    fflush(nil)  // all C output streams; avoids touching the non-Sendable `stdout` global
}

extension Sim {
    /// The Polymarket simulator.
    func runPolymarket() async throws {
        var configuration = PolySimExchange.Configuration()
        configuration.startingCollateral = (try? Dollars(parsing: startingBalance)) ?? configuration.startingCollateral
        configuration.statusStep = .milliseconds(statusStepMilliseconds)
        let exchange = PolySimExchange(configuration: configuration)
        let faultRules = SimFaults(seed: seed)
        for fault in faults {
            do { try faultRules.apply(argument: fault, routeNames: PolySimServer.routeNames) } catch {
                printError("--fault: \(error)")
                throw ExitStatus.configuration.exitCode
            }
        }
        if delayOrders > 0 { await exchange.delayNextOrders(delayOrders) }
        if failTrades > 0 { await exchange.failNextTrades(failTrades) }
        let activity = PolySyntheticActivity(exchange: exchange, seed: seed)
        await activity.seedBooks()
        let server: PolySimServer
        do {
            server = try await PolySimServer.start(exchange: exchange, faults: faultRules, port: port, rateLimits: !noRateLimits)
        } catch {
            printError("sim: cannot listen on 127.0.0.1:\(port): \(error)")
            throw ExitStatus.failure.exitCode
        }
        let keyPath = try generateEthereumKey()
        print("Polymarket simulator listening on \(server.baseURL.absoluteString) (seed \(seed))")
        for market in await exchange.markets {
            print("Market \(market.slug) (\(market.question)): YES \(market.yesToken) NO \(market.noToken) tick \(market.tick)"
                  + (market.negRisk ? " neg-risk" : "") + (market.feeRateBps > 0 ? " fee \(market.feeRateBps) bps" : ""))
        }
        print("\nTo trade on it, put these in a .env file (PAPER_TRADING=false sends orders here):")
        print("  POLY_CLOB_URL=\(server.baseURL.absoluteString)\n  POLY_WS_URL=\(server.webSocketURL.absoluteString)")
        print("  POLY_GAMMA_URL=\(server.gammaURL.absoluteString)\n  POLY_PRIVATE_KEY_PATH=\(keyPath)")
        flushStandardOutput()
        let activityTask = Task {
            if activityMilliseconds > 0 { await activity.run(every: .milliseconds(activityMilliseconds), clock: ContinuousClock()) }
        }
        await waitForShutdown(duration: duration)
        activityTask.cancel()
        await server.stop()
        print("Simulator stopped.")
    }

    /// A fresh secp256k1 key (hex, one line, mode 0600) for trading on the simulator.
    private func generateEthereumKey() throws -> String {
        try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        repeat {
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        } while (try? EthereumSigner(secret: bytes)) == nil
        let path = (keysDirectory as NSString).appendingPathComponent("polymarket-trader-\(UUID().uuidString.lowercased().prefix(8)).key")
        guard FileManager.default.createFile(atPath: path, contents: Data((Hex.encode(bytes) + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        return path
    }
}
