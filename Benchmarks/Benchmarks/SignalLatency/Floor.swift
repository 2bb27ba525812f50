import ExecutorTesting
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
    /// Writes `count` requests to `port` at `rate` per second on a thread of its own, reading each answer
    /// before the next; returns when done, with each request's send time by its id.
    static func run(port: Int, rate: Int, count: Int) async -> [String: UInt64] {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: send(port: port, rate: rate, count: count)) }.start()
        }
    }

    private static func send(port: Int, rate: Int, count: Int) -> [String: UInt64] {
        guard let socket = try? RawSocket(port: port) else { return [:] }
        var sent: [String: UInt64] = [:]
        let start = monotonicNanoseconds()
        let interval = UInt64(1_000_000_000 / max(1, rate))
        for index in 0..<count {
            let id = "floor-\(index)"
            let body = #"{"ticker":"KXNFL-26JAN11-BUF","client_order_id":"\#(id)","side":"bid","action":"buy","count":"1.00","price":"0.0100","time_in_force":"immediate_or_cancel"}"#
            let request = Array(("POST /trade-api/v2/portfolio/events/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
            let at = monotonicNanoseconds()
            guard socket.send(bytes: request) else { break }
            sent[id] = at
            // The whole answer before the next request.
            guard socket.readResponseBlocking() != nil else { break }
            let due = start + interval * UInt64(index + 1)
            let now = monotonicNanoseconds()
            if due > now { usleep(useconds_t((due - now) / 1_000)) }
        }
        return sent
    }
}
