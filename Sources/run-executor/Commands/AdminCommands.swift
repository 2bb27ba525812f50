import ArgumentParser
import AsyncHTTPClient
import Config
import Coordinator
import Execution
import Foundation
import NIOCore
import NIOHTTP1

/// One running executor's admin API.
struct AdminClient {
    let base: String
    let token: String

    /// The admin API of the process holding a journal (it published its endpoint in the lock file), with
    /// the token from `ADMIN_TOKEN` or the configured token file; exits 2 naming the holder otherwise.
    static func forHolder(_ busy: JournalBusyError, config: V3Config, command: String) throws -> AdminClient {
        guard let endpoint = busy.holder?.adminEndpoint else {
            printError("\(command): \(busy)")
            throw ExitStatus.configuration.exitCode
        }
        let environment = ProcessInfo.processInfo.environment
        if let token = environment["ADMIN_TOKEN"], !token.isEmpty { return AdminClient(base: endpoint, token: token) }
        guard let text = try? String(contentsOfFile: config.admin.tokenFile, encoding: .utf8) else {
            printError("\(command): \(busy); its admin API is \(endpoint) but the token (\(config.admin.tokenFile), or ADMIN_TOKEN) cannot be read")
            throw ExitStatus.configuration.exitCode
        }
        log("\(busy.journal) is held by \(busy.holder?.description ?? "a run"): \(command) goes through its admin API \(endpoint)")
        return AdminClient(base: endpoint, token: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Sends one request; returns the status and body; exits 1 when the API cannot be reached.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, timeout: TimeAmount = .seconds(10)) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 8 << 20)))
        } catch {
            printError("admin: cannot reach \(base) (\(error)); is an executor running?")
            throw ExitStatus.failure.exitCode
        }
    }

    /// Sends one request; prints nothing; exits 1 on anything but 2xx.
    func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> String {
        let (status, text) = try await send(method, path, body: body)
        guard (200..<300).contains(status) else {
            printError("admin \(method.rawValue) \(path): HTTP \(status) \(text)")
            throw ExitStatus.failure.exitCode
        }
        return text
    }

    func order(_ request: ManualOrderRequest) async throws -> ManualOrderAnswer {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let body = String(decoding: try encoder.encode(request), as: UTF8.self)
        // A GTC order is worked by the run for up to ORDER_TIMEOUT_SECONDS before it answers.
        let (status, text) = try await send(.POST, "/orders", body: body, timeout: .hours(25))
        guard let answer = try? JSONDecoder().decode(ManualOrderAnswer.self, from: Data(text.utf8)) else {
            printError("admin POST /orders: HTTP \(status) \(text)")
            throw ExitStatus.failure.exitCode
        }
        return answer
    }

    func cancelAll() async throws -> Int {
        struct Answer: Decodable { var cancelled: Int }
        let text = try await call(.POST, "/cancel-all")
        return (try? JSONDecoder().decode(Answer.self, from: Data(text.utf8)).cancelled) ?? 0
    }
}

/// Where and how to reach a running executor's admin API.
struct AdminOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Admin API base URL (default: the endpoint file the run wrote beside its token file, else http://127.0.0.1:$ADMIN_PORT or :8089).",
                               valueName: "url"))
    var url: String?
    @Option(name: .customLong("token-file"), help: ArgumentHelp("Bearer token file (default ADMIN_TOKEN_FILE or data/admin.token); ADMIN_TOKEN overrides.",
                                                                valueName: "path"))
    var tokenFile: String?

    func client() throws -> AdminClient {
        let environment = ProcessInfo.processInfo.environment
        let tokenPath = tokenFile ?? environment["ADMIN_TOKEN_FILE"] ?? "data/admin.token"
        let token: String
        if let fromEnvironment = environment["ADMIN_TOKEN"], !fromEnvironment.isEmpty { token = fromEnvironment } else {
            guard let text = try? String(contentsOfFile: tokenPath, encoding: .utf8) else {
                printError("admin: no token (ADMIN_TOKEN unset and \(tokenPath) unreadable); is an executor running here?")
                throw ExitStatus.failure.exitCode
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let url { return AdminClient(base: url, token: token) }
        if let written = try? String(contentsOfFile: AdminEndpoint.endpointPath(tokenFile: tokenPath), encoding: .utf8) {
            return AdminClient(base: written.trimmingCharacters(in: .whitespacesAndNewlines), token: token)
        }
        return AdminClient(base: "http://127.0.0.1:\(environment["ADMIN_PORT"] ?? "8089")", token: token)
    }

    func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> String {
        try await client().call(method, path, body: body)
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a running executor's state (admin API).")
    @OptionGroup var admin: AdminOptions
    @Flag(help: "Machine-readable output.") var json = false

    func run() async throws {
        let text = try await admin.call(.GET, "/status")
        guard !json, let status = try? JSONDecoder.snakeCase.decode(AdminStatus.self, from: Data(text.utf8)) else {
            print(text)
            return
        }
        print("state \(status.state), mode \(status.mode)\(status.hybrid ? " (hybrid)" : "")")
        print("breaker \(status.execution.breaker)" + (status.execution.haltReason.map { " — \($0)" } ?? ""))
        let execution = status.execution
        print("today: trades \(execution.tradesToday), volume \(execution.volumeToday), realised P&L \(execution.realizedToday) "
              + "(losing streak \(execution.consecutiveLosses)); open orders \(execution.openOrders), outcome unknown \(execution.unresolvedOrders)")
        if let failure = execution.persistenceFailure { print("journal write failed: \(failure)") }
        if !execution.denials.isEmpty {
            print("denied by the breaker: " + execution.denials.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        print("signals received \(status.signalsReceived), malformed \(status.signalsMalformed), waiting \(status.signalsWaiting), "
              + "refused \(status.signalsRefused), duplicate \(status.signalsDuplicate)")
        print("loop \(status.loop.line)")
        if let arbs = status.arbs, arbs.received > 0 { print("\(arbs.line) running=\(arbs.running) queued=\(arbs.queued)") }
        for trader in status.traders {
            print("trader \(trader.platforms.map(\.rawValue).joined(separator: ",")) from \(trader.address) since \(trader.since), "
                  + "last pong \(trader.lastPong ?? "none yet"), legs in flight \(trader.legsInFlight)")
        }
    }
}

/// The journal `halt`/`resume` act on when no executor is running.
struct OfflineJournalOption: ParsableArguments {
    @Option(help: ArgumentHelp("Journal to record the halt in when no executor runs (default JOURNAL_PATH or data/executor.sqlite).",
                               valueName: "path"))
    var journal: String?

    var path: String { journal ?? ProcessInfo.processInfo.environment["JOURNAL_PATH"] ?? "data/executor.sqlite" }

    /// Whether a process holds the journal now (then the admin API is the way in).
    var isHeld: Bool { JournalLock.isHeld(journal: path) }
}

struct Halt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Halt: no new orders until resume (persisted across restarts).",
        discussion: """
            Through a running executor's admin API; with no executor running on the journal (and no --url), \
            the halt is written to the journal and the next run starts halted.
            """)
    @OptionGroup var admin: AdminOptions
    @OptionGroup var offline: OfflineJournalOption
    @Option(help: "Why, recorded in the journal.") var reason: String

    func run() async throws {
        if admin.url == nil, !offline.isHeld, FileManager.default.fileExists(atPath: offline.path) {
            let lock = try lockJournal(offline.path, command: "halt")
            defer { lock.release() }
            try Journal(path: offline.path).recordHalt(reason: reason, at: ExecutionService.systemWallClock())
            print("halted: \(reason) (no executor running; recorded in \(offline.path): the next run starts halted)")
            return
        }
        let body = String(decoding: try JSONEncoder().encode(["reason": reason]), as: UTF8.self)
        _ = try await admin.call(.POST, "/halt", body: body)
        print("halted: \(reason)")
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resume a halted executor (also acknowledges recorded position drift).",
        discussion: "Through a running executor's admin API; with none running, the halt recorded in the journal is lifted.")
    @OptionGroup var admin: AdminOptions
    @OptionGroup var offline: OfflineJournalOption

    func run() async throws {
        if admin.url == nil, !offline.isHeld, FileManager.default.fileExists(atPath: offline.path) {
            let lock = try lockJournal(offline.path, command: "resume")
            defer { lock.release() }
            try Journal(path: offline.path).recordResume(at: ExecutionService.systemWallClock())
            print("resumed (no executor running; the halt recorded in \(offline.path) is lifted)")
            return
        }
        _ = try await admin.call(.POST, "/resume")
        print("resumed")
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
