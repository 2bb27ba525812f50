import Foundation
import Markets

/// The machine's floor for "order bytes at the simulator": a plain socket writing a prebuilt order request
/// (no parsing, journal, signing or event loop) to the same simulator at the same rate, clock started just
/// before `write(2)`, stopped where the orders' is (the simulator's arrival stamp). What this client adds to
/// a signal's latency is its figure less this one; the rest is the kernel's loopback path and the
/// simulator's wake-up and read, which no client can avoid on this machine.
///
/// Requests are named `floor-N` (unsigned: the simulator stamps them as it reads them, then refuses them).
enum Floor {
    struct Sample: Sendable {
        let sent: [String: UInt64]
    }

    /// Writes `count` requests to `port` at `rate` per second on a thread of its own, reading each answer
    /// before the next; returns when done.
    static func run(port: Int, rate: Int, count: Int) async -> Sample {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Sample(sent: send(port: port, rate: rate, count: count))) }.start()
        }
    }

    private static func send(port: Int, rate: Int, count: Int) -> [String: UInt64] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return [:] }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var sent: [String: UInt64] = [:]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let start = monotonicNanoseconds()
        let interval = UInt64(1_000_000_000 / max(1, rate))
        for index in 0..<count {
            let id = "floor-\(index)"
            let body = #"{"ticker":"KXNFL-26JAN11-BUF","client_order_id":"\#(id)","side":"bid","action":"buy","count":"1.00","price":"0.0100","time_in_force":"immediate_or_cancel"}"#
            let request = Array(("POST /trade-api/v2/portfolio/events/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
            let at = monotonicNanoseconds()
            guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { break }
            sent[id] = at
            // The whole answer before the next request: its head, then Content-Length bytes of body.
            var received: [UInt8] = []
            while true {
                let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard got > 0 else { return sent }
                received += buffer[0..<got]
                if let end = headEnd(received) {
                    let length = contentLength(received[..<end]) ?? 0
                    if received.count - end >= length { break }
                }
            }
            let due = start + interval * UInt64(index + 1)
            let now = monotonicNanoseconds()
            if due > now { usleep(useconds_t((due - now) / 1_000)) }
        }
        return sent
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
