import Foundation
import Markets
import NIOCore
import NIOHTTP1
import Synchronization

/// When each order request had fully arrived at the simulator, by `client_order_id`, in nanoseconds of
/// the system-wide monotonic clock (comparable across processes on one machine). Stamped on the event
/// loop as the request's last byte is decoded (`Stamp`), before the simulator's own hand-off to its
/// request task, so the figure is the client's. Off unless a benchmark
/// turns it on (it parses the body a second time); optionally also appended to a file, one
/// `client_order_id nanoseconds` line per order, for a client in another process.
public final class SimArrivals: Sendable {
    private struct State {
        var recording = false
        var times: [String: UInt64] = [:]
        var log: FileHandle?
    }
    private let state = Mutex(State())
    /// The path (suffix) of the order route, and how an order body names the order.
    let orderPath: String
    private let identify: @Sendable (JSONValue) -> String?

    /// Kalshi's order route, keyed by `client_order_id`.
    public init() {
        orderPath = "/portfolio/events/orders"
        identify = { body in
            guard case let .string(id)? = body["client_order_id"] else { return nil }
            return id
        }
    }

    /// Polymarket's `POST /order`, keyed by the signed order's salt (decimal).
    public static func polymarket() -> SimArrivals {
        SimArrivals(orderPath: "/order") { body in
            switch body["order"]?["salt"] {
            case let .number(literal)?, let .string(literal)?: literal
            default: nil
            }
        }
    }

    init(orderPath: String, identify: @escaping @Sendable (JSONValue) -> String?) {
        self.orderPath = orderPath
        self.identify = identify
    }

    public var isRecording: Bool { state.withLock { $0.recording } }

    /// Starts recording; with `path`, every arrival is also appended to that file.
    public func start(logTo path: String? = nil) throws {
        var handle: FileHandle?
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            handle = FileHandle(forWritingAtPath: path)
        }
        state.withLock {
            $0.recording = true
            $0.log = handle
        }
    }

    /// Records the order `body` names (if it names one of this venue's) at `nanoseconds`.
    public func record(body: Data, at nanoseconds: UInt64) {
        // The project's own JSON reader: Foundation's `JSONSerialization` here was ~3 % of the simulator's CPU
        // in a throughput run, which shares the machine with the client measured.
        guard let object = try? JSONValue.parse(String(decoding: body, as: UTF8.self)), let id = identify(object) else { return }
        state.withLock { state in
            state.times[id] = nanoseconds
            state.log?.write(Data("\(id) \(nanoseconds)\n".utf8))
        }
    }

    /// Arrival times recorded so far, removing them.
    public func drain() -> [String: UInt64] {
        state.withLock { state in
            defer { state.times.removeAll() }
            return state.times
        }
    }

    /// Sits after the HTTP decoder and stamps order requests as their end is read.
    final class Stamp: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart

        private let arrivals: SimArrivals
        /// The body of an order request being read (nil for any other request).
        private var body: ByteBuffer?

        init(_ arrivals: SimArrivals) { self.arrivals = arrivals }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                body = head.method == .POST && head.uri.hasSuffix(arrivals.orderPath) && arrivals.isRecording ? ByteBuffer() : nil
            case var .body(chunk):
                body?.writeBuffer(&chunk)
            case .end:
                if let body { arrivals.record(body: Data(body.readableBytesView), at: monotonicNanoseconds()) }
                body = nil
            }
            context.fireChannelRead(data)
        }
    }
}
