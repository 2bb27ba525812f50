import ExecutorTesting
import Foundation
import Testing
@testable import Coordinator
#if canImport(Glibc)
import Glibc
#endif

@Suite("Admin server limits")
struct AdminServerLimitsTests {
    static func server(_ configure: (inout AdminServerLimits) -> Void) async throws -> AdminServer {
        var limits = AdminServerLimits()
        configure(&limits)
        return try await AdminServer.start(port: 0, limits: limits) { _ in .json(200, ["ok": true]) }
    }

    @Test("TS-63 a client that never finishes its request is cut off at the request timeout; an idle kept-alive connection at the idle timeout")
    func timeouts() async throws {
        let server = try await Self.server { $0.requestTimeout = .milliseconds(2_000) }
        let silent = try RawSocket(port: server.port)
        silent.send("GET /health HTTP/1.1\r\nHost: x\r\n")  // the head never ends
        // Waiting 5 s for the cut at 2 s once gave up first, the whole suite running beside it.
        silent.readTimeout(seconds: 30)
        let cut = await silent.readAll()
        #expect(cut.closed && cut.text.isEmpty)
        await server.stop()
        // The idle timeout on a server whose request timeout cannot fire first: a whole request sent at once
        // was once not read within 2 s, with the whole suite beside three busy-loops (and 1 s before that).
        let kept = try await Self.server { $0.requestTimeout = .seconds(30); $0.idleTimeout = .milliseconds(2_400) }
        let idle = try RawSocket(port: kept.port)
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        idle.readTimeout(seconds: 20)
        let answered = await idle.readAll()
        #expect(answered.text.hasPrefix("HTTP/1.1 200") && answered.closed, "answered, then closed once idle")
        await kept.stop()
    }

    @Test("TS-63 connections beyond the cap are closed on arrival; a body over the limit gets 413, not a reset")
    func capAndBodyLimit() async throws {
        // The two admitted connections must outlive the check however slow the machine: a long request timeout.
        let server = try await Self.server { $0.maxConnections = 2; $0.maxBodyBytes = 1_024; $0.requestTimeout = .seconds(60) }
        let first = try RawSocket(port: server.port), second = try RawSocket(port: server.port)
        #expect(await eventually { server.openConnections == 2 })
        let third = try RawSocket(port: server.port)
        let refused = await third.readAll()
        #expect(refused.closed && refused.text.isEmpty, "the third connection is closed at once")
        #expect(server.openConnections == 2)
        withExtendedLifetime((first, second)) {}
        await server.stop()

        let limited = try await Self.server { $0.maxBodyBytes = 1_024 }
        let declared = try RawSocket(port: limited.port)
        declared.send("POST /signals HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n")
        let answer = await declared.readAll()
        #expect(answer.text.hasPrefix("HTTP/1.1 413"), "\(answer.text)")
        #expect(answer.text.contains("request body larger than 1024 bytes") && answer.closed)
        let chunked = try RawSocket(port: limited.port)
        chunked.send("POST /signals HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + "800\r\n" + String(repeating: "x", count: 2_048) + "\r\n")
        #expect(await chunked.readAll().text.hasPrefix("HTTP/1.1 413"), "a body over the limit without a declared length too")
        await limited.stop()
    }
}
