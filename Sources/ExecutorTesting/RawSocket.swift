import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client on 127.0.0.1, for what a well-behaved HTTP client never does (tests), and for the
/// machine's floor in `SignalLatency` (a request with nothing of a client around it). Reads time out
/// after 5 s.
public final class RawSocket: @unchecked Sendable {
    // @unchecked: one user at a time; `fd` never changes.
    public let fd: Int32

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw CocoaError(.fileReadUnknown)
        }
        readTimeout(seconds: 5)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// How long a read waits for bytes before giving up (5 s unless set).
    public func readTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }

    /// Sends `bytes` in one `send(2)`; whether all of them went.
    public func send(bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// `readAll` on a thread of its own: a blocking read on one of the concurrency pool's two threads could
    /// starve the server it waits for.
    public func readAll() async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.readAllBlocking()) }.start()
        }
    }

    /// Everything until the peer closes (or 5 s pass): the response, and whether the connection was closed.
    public func readAllBlocking() -> (text: String, closed: Bool) {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { data += buffer[0..<count]; continue }
            return (String(decoding: data, as: UTF8.self), count == 0)
        }
    }

    /// One HTTP/1.1 response, its head and `Content-Length` bytes of body (blocking); nil when the peer
    /// closed or 5 s passed first.
    public func readResponseBlocking() -> [UInt8]? {
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            data += buffer[0..<count]
            if let end = Self.headEnd(data), data.count - end >= Self.contentLength(data[..<end]) ?? 0 { return data }
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }

    private static func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        let text = String(decoding: head, as: UTF8.self).lowercased()
        guard let range = text.range(of: "content-length:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0 != "\r" }.trimmingCharacters(in: .whitespaces))
    }
}
