import ArgumentParser
import AsyncHTTPClient
import Coordinator
import Foundation
import NIOCore
import NIOHTTP1

/// Where and how to reach a running executor's admin API.
struct AdminOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Admin API base URL (default: the endpoint file the run wrote beside its token file, else http://127.0.0.1:$ADMIN_PORT or :8089).",
                               valueName: "url"))
    var url: String?
    @Option(name: .customLong("token-file"), help: ArgumentHelp("Bearer token file (default ADMIN_TOKEN_FILE or data/admin.token); ADMIN_TOKEN overrides.",
                                                                valueName: "path"))
    var tokenFile: String?

    func endpoint() throws -> (url: String, token: String) {
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
        if let url { return (url, token) }
        if let written = try? String(contentsOfFile: AdminEndpoint.endpointPath(tokenFile: tokenPath), encoding: .utf8) {
            return (written.trimmingCharacters(in: .whitespacesAndNewlines), token)
        }
        return ("http://127.0.0.1:\(environment["ADMIN_PORT"] ?? "8089")", token)
    }

    /// Sends one request; prints the body; exits 1 on anything but 2xx.
    func call(_ method: HTTPMethod, _ path: String, body: String? = nil) async throws -> String {
        let (base, token) = try endpoint()
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 8 << 20))
            guard (200..<300).contains(Int(response.status.code)) else {
                printError("admin \(method.rawValue) \(path): HTTP \(response.status.code) \(text)")
                throw ExitStatus.failure.exitCode
            }
            return text
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("admin: cannot reach \(base) (\(error)); is an executor running?")
            throw ExitStatus.failure.exitCode
        }
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
        print("today: trades \(status.execution.tradesToday), volume \(status.execution.volumeToday); open orders \(status.execution.openOrders)")
        print("signals received \(status.signalsReceived), malformed \(status.signalsMalformed)")
        print("loop \(status.loop.line)")
    }
}

struct Halt: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Halt a running executor: no new orders until resume (persisted across restarts).")
    @OptionGroup var admin: AdminOptions
    @Option(help: "Why, recorded in the journal.") var reason: String

    func run() async throws {
        let body = String(decoding: try JSONEncoder().encode(["reason": reason]), as: UTF8.self)
        _ = try await admin.call(.POST, "/halt", body: body)
        print("halted: \(reason)")
    }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a halted executor (also acknowledges recorded position drift).")
    @OptionGroup var admin: AdminOptions

    func run() async throws {
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
