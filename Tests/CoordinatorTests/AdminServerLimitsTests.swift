import ExecutorTesting
import Foundation
import Testing
@testable import Coordinator
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client on 127.0.0.1, for what a well-behaved HTTP client never does.
final class RawSocket: @unchecked Sendable {
    // @unchecked: one test uses a socket at a time; `fd` never changes.
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }

    /// `readAll` on a thread of its own: a blocking read on one of the concurrency pool's two threads could
    /// starve the server it waits for.
    func readAll() async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.readAllBlocking()) }.start()
        }
    }

    /// Everything until the peer closes (or 5 s pass): the response, and whether the connection was closed.
    func readAllBlocking() -> (text: String, closed: Bool) {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { data += buffer[0..<count]; continue }
            return (String(decoding: data, as: UTF8.self), count == 0)
        }
    }
}

@Suite("Admin server limits")
struct AdminServerLimitsTests {
    static func server(_ configure: (inout AdminServerLimits) -> Void) async throws -> AdminServer {
        var limits = AdminServerLimits()
        configure(&limits)
        return try await AdminServer.start(port: 0, limits: limits) { _ in .json(200, ["ok": true]) }
    }

    @Test("TS-63 a client that never finishes its request is cut off at the request timeout; an idle kept-alive connection at the idle timeout")
    func timeouts() async throws {
        // Margins a loaded 2-core machine keeps: a whole request sent at once is read well within a second.
        let server = try await Self.server { $0.requestTimeout = .milliseconds(1_000); $0.idleTimeout = .milliseconds(1_200) }
        let silent = try RawSocket(port: server.port)
        silent.send("GET /health HTTP/1.1\r\nHost: x\r\n")  // the head never ends
        let cut = await silent.readAll()
        #expect(cut.closed && cut.text.isEmpty)
        let idle = try RawSocket(port: server.port)
        idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let answered = await idle.readAll()
        #expect(answered.text.hasPrefix("HTTP/1.1 200") && answered.closed, "answered, then closed once idle")
        await server.stop()
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
