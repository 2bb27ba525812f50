import Markets
import Synchronization

/// Signatures for one hot request (the order create), made before they are needed.
///
/// A Kalshi signature covers `timestamp + METHOD + path`, never the body, so the RSA work for the next
/// order (about a quarter of a millisecond, the largest single cost between a signal and the order's bytes)
/// can be done ahead of time. A few signatures are kept ready; each is handed out once and only while its
/// timestamp is younger than `maxAge`; a background task keeps the stock fresh. When none is fresh the
/// caller signs inline, so the order is never held back.
///
/// Kalshi does not document how old a timestamp may be; `maxAge` (default 500 ms) keeps presigned
/// timestamps within half a second of real time, well inside the skew any venue must tolerate between
/// client and server clocks.
public final class Presigner: Sendable {
    public struct Settings: Sendable {
        /// A signature older than this is never used.
        public var maxAge: Duration = .milliseconds(500)
        /// Signatures kept ready at least (a burst larger than the stock signs the rest inline).
        public var depth = 4
        /// The most kept ready: a take that finds the stock empty doubles it up to this, and it halves
        /// back toward `depth` while signatures age out unused (see `Presigner.depth`).
        public var maxDepth = 64
        /// A refill waits this long after a signature was taken (the order is out by then).
        public var refillDelay: Duration = .milliseconds(2)

        public init() {}

        /// Replaced once they are this old, so a taken signature is normally at most half `maxAge` old.
        var refreshAge: Int64 { maxAge.wholeMilliseconds / 2 }
    }

    private let stock: Stock
    /// Signs on a thread of its own at a lower priority (not on the concurrency pool, where a signature
    /// would hold one of the threads the next order needs).
    private let worker: BackgroundWorker?

    /// Starts signing at once; `path` is the full signed path (`/trade-api/v2/portfolio/events/orders`).
    public convenience init(signer: KalshiSigner, method: String, path: String, settings: Settings = Settings(),
                            wallClockMilliseconds: @escaping @Sendable () -> Int64) {
        self.init(signer: signer, method: method, path: path, settings: settings, wallClockMilliseconds: wallClockMilliseconds, background: true)
    }

    /// `background: false` (tests): no thread signs on its own; `fill` does.
    init(signer: KalshiSigner, method: String, path: String, settings: Settings, wallClockMilliseconds: @escaping @Sendable () -> Int64,
         background: Bool) {
        let stock = Stock(signer: signer, method: method, path: path, settings: settings, clock: wallClockMilliseconds)
        self.stock = stock
        // A refill waits `refillDelay` after a take (the order is being written meanwhile), and runs every
        // quarter of `maxAge` to replace signatures growing old.
        worker = background ? BackgroundWorker(name: "kalshi-presigner", delay: settings.refillDelay,
                                               period: .milliseconds(max(1, settings.refreshAge / 2))) { stock.refill() } : nil
    }

    deinit { stop() }

    /// Stops the background signing (the stock left is discarded).
    public func stop() {
        worker?.stop()
        // Under the same lock a refill appends with: a signing in progress cannot add to the stock afterwards.
        stock.ready.withLock { stock in
            self.stock.stopped.store(true, ordering: .relaxed)
            stock.removeAll()
        }
    }

    /// A fresh signature, used by nobody else, or nil when none is ready (sign inline then).
    public func take() -> KalshiAuthHeaders? {
        let now = stock.clock()
        let maxAge = stock.settings.maxAge.wholeMilliseconds
        let headers = stock.ready.withLock { stock -> KalshiAuthHeaders? in
            stock.removeAll { !Self.isFresh($0, now: now, maxAge: maxAge) }
            return stock.popLast()
        }
        if headers == nil { stock.deepen() }
        worker?.wake()
        return headers
    }

    /// How many signatures the stock is kept at now, between `Settings.depth` and `maxDepth`. Orders
    /// faster than the refills (a refill waits `refillDelay` after a take, then signs ~4,000 a second at
    /// most) emptied a fixed stock of four at 1,500 orders/s, and the order signed inline: p90 +360 µs
    /// between a signal and its bytes. A take that finds nothing doubles the stock; a refill that
    /// replaces more than half of it unused (signatures aging out: orders have slowed) halves it, so a
    /// quiet run re-signs no more than `depth` every `maxAge / 4`.
    public var depth: Int { stock.target.load(ordering: .relaxed) }

    /// Signs up to the full stock now, on the caller (the background task does this on its own).
    public func fill() { stock.refill() }

    /// Signatures ready now (for tests and status).
    public var stocked: Int { stock.ready.withLock { $0.count } }

    static func isFresh(_ headers: KalshiAuthHeaders, now: Int64, maxAge: Int64) -> Bool {
        guard let stamp = Int64(headers.timestamp) else { return false }
        return stamp <= now && now - stamp < maxAge
    }

    /// The signing side, shared with the background task.
    private final class Stock: Sendable {
        let signer: KalshiSigner
        let method: String
        let path: String
        let settings: Settings
        let clock: @Sendable () -> Int64
        let ready = Mutex<[KalshiAuthHeaders]>([])
        /// The stock's size now (see `Presigner.depth`).
        let target: Atomic<Int>
        /// Set by `stop` while holding `ready`'s lock, read under it: nothing is added after a stop.
        let stopped = Atomic<Bool>(false)

        init(signer: KalshiSigner, method: String, path: String, settings: Settings, clock: @escaping @Sendable () -> Int64) {
            self.signer = signer
            self.method = method
            self.path = path
            self.settings = settings
            self.clock = clock
            target = Atomic(max(1, settings.depth))
        }

        /// A take found the stock empty.
        func deepen() {
            let ceiling = max(settings.depth, settings.maxDepth)
            var current = target.load(ordering: .relaxed)
            while current < ceiling {
                let (exchanged, original) = target.compareExchange(expected: current, desired: min(ceiling, current * 2), ordering: .relaxed)
                if exchanged { return }
                current = original
            }
        }

        /// Replaces signatures due for replacement and signs until the stock is full again (appended, so
        /// `popLast` hands out the newest). The old ones stay usable until their replacement is ready: an
        /// order arriving during the re-signing still finds one.
        func refill() {
            let refreshAge = settings.refreshAge
            let maxAge = settings.maxAge.wholeMilliseconds
            let (depth, count) = ready.withLock { stock -> (Int, Int) in
                let now = clock()
                stock.removeAll { !Presigner.isFresh($0, now: now, maxAge: maxAge) }
                let fresh = stock.count { Presigner.isFresh($0, now: now, maxAge: refreshAge) }
                // More than half the stock aging out unused: orders have slowed, keep fewer.
                var depth = target.load(ordering: .relaxed)
                if depth > settings.depth, (stock.count - fresh) * 2 > depth {
                    depth = max(settings.depth, depth / 2)
                    target.store(depth, ordering: .relaxed)
                }
                return (depth, fresh)
            }
            var needed = depth - count
            while needed > 0, !stopped.load(ordering: .relaxed) {
                guard let headers = try? signer.headers(method: method, path: path, timestampMilliseconds: clock()) else { return }
                ready.withLock { stock in
                    guard !stopped.load(ordering: .relaxed) else { return }
                    stock.append(headers)
                    // The stock is ordered oldest first: drop the oldest beyond the depth.
                    if stock.count > depth { stock.removeFirst(stock.count - depth) }
                }
                needed -= 1
            }
        }
    }
}
