/// The two independent Kalshi token buckets.
public enum RateBucket: String, Sendable, Hashable {
    /// GETs and anything that is not a write.
    case read
    /// Place, amend, cancel, decrease, order groups.
    case write
}

/// Token costs of the endpoints this project uses (kalshi.md §4): 10 by default, 2 for a cancel, a
/// single-order read, each order of a batch cancel and cancel-all; 10 per order of a batch create.
public enum KalshiEndpointCost {
    public static let standard = 10
    public static let cancel = 2
    public static let singleOrderRead = 2
    public static let cancelAll = 2
    public static func batchCreate(orders: Int) -> Int { 10 * orders }
    public static func batchCancel(orders: Int) -> Int { 2 * orders }
}

/// A token bucket in exact integer arithmetic: tokens are kept in nano-tokens and refilled from the
/// elapsed time of an injected clock. A caller that cannot be served at once takes the tokens as debt
/// and waits until the debt is repaid, so concurrent callers are served in arrival order.
public struct TokenBucket<C: Clock>: Sendable where C.Duration == Duration {
    private static var scale: Int64 { 1_000_000_000 }

    public let refillPerSecond: Int64
    public let capacity: Int64
    private var nanoTokens: Int64
    private var lastRefill: C.Instant

    /// A full bucket.
    public init(refillPerSecond: Int, capacity: Int, now: C.Instant) {
        precondition(refillPerSecond > 0 && capacity > 0, "a token bucket needs a positive rate and capacity")
        self.refillPerSecond = Int64(refillPerSecond)
        self.capacity = Int64(capacity)
        nanoTokens = Int64(capacity) * Self.scale
        lastRefill = now
    }

    private mutating func refill(now: C.Instant) {
        let elapsed = lastRefill.duration(to: now)
        guard elapsed > .zero else { return }
        let (seconds, attoseconds) = elapsed.components
        // tokens × 1e9 per second of elapsed time = rate × elapsed-nanoseconds.
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let elapsedNanos = nanos.overflow ? Int64.max : nanos.partialValue &+ attoseconds / 1_000_000_000
        let (added, overflow) = elapsedNanos.multipliedReportingOverflow(by: refillPerSecond)
        nanoTokens = overflow ? capacity * Self.scale : min(capacity * Self.scale, nanoTokens &+ added)
        lastRefill = now
    }

    /// Takes `cost` tokens if available now.
    public mutating func tryTake(_ cost: Int, now: C.Instant) -> Bool {
        refill(now: now)
        let needed = Int64(cost) * Self.scale
        guard nanoTokens >= needed else { return false }
        nanoTokens -= needed
        return true
    }

    /// Takes `cost` tokens, possibly as debt, and returns how long the caller must wait before acting.
    public mutating func reserve(_ cost: Int, now: C.Instant) -> Duration {
        refill(now: now)
        nanoTokens -= Int64(cost) * Self.scale
        guard nanoTokens < 0 else { return .zero }
        // debt / rate, in nanoseconds, rounded up.
        let debt = -nanoTokens
        let waitNanos = (debt + refillPerSecond - 1) / refillPerSecond
        return .nanoseconds(waitNanos)
    }

    /// Takes `cost` tokens if they are there now (`.zero`); otherwise takes nothing and returns how long
    /// until they will be.
    public mutating func take(_ cost: Int, now: C.Instant) -> Duration {
        refill(now: now)
        let needed = Int64(cost) * Self.scale
        guard nanoTokens < needed else {
            nanoTokens -= needed
            return .zero
        }
        return .nanoseconds((needed - nanoTokens + refillPerSecond - 1) / refillPerSecond)
    }

    /// Tokens available now (rounded down).
    public mutating func available(now: C.Instant) -> Int64 {
        refill(now: now)
        return nanoTokens / Self.scale
    }
}

/// Client-side limiter with Kalshi's read and write buckets for a tier.
///
/// It refills at 95 % of the tier's rate and holds at most half of the exchange's one-second burst. The
/// client paces when requests *leave*; the exchange counts when they *arrive*, and network or scheduling
/// jitter can bunch arrivals (a slow first connection lets several paced requests land together). The
/// unused half of the exchange's bucket absorbs that bunching, so paced traffic never earns a 429.
public actor KalshiRateLimiter<C: Clock> where C.Duration == Duration {
    private let clock: C
    private var read: TokenBucket<C>
    private var write: TokenBucket<C>

    public init(tier: KalshiRateTier, clock: C, safetyFactorPercent: Int = 95, burstPercent: Int = 50) {
        self.clock = clock
        let readRate = max(1, tier.readTokensPerSecond * safetyFactorPercent / 100)
        let writeRate = max(1, tier.writeTokensPerSecond * safetyFactorPercent / 100)
        // A bucket must hold at least one default-cost request.
        let readBurst = max(KalshiEndpointCost.standard, tier.readTokensPerSecond * burstPercent / 100)
        let writeBurst = max(KalshiEndpointCost.standard, tier.writeTokensPerSecond * burstPercent / 100)
        read = TokenBucket(refillPerSecond: readRate, capacity: readBurst, now: clock.now)
        write = TokenBucket(refillPerSecond: writeRate, capacity: writeBurst, now: clock.now)
    }

    /// Waits until `cost` tokens of `bucket` are available, takes them, then returns.
    ///
    /// Tokens are taken when the request leaves, never reserved ahead: a caller that wakes late (a starved
    /// machine oversleeps) finds the bucket as it is then, so late wake-ups cannot leave together beyond
    /// the bucket's capacity and bunch into a 429.
    public func acquire(_ cost: Int, from bucket: RateBucket) async throws {
        while true {
            let wait: Duration
            switch bucket {
            case .read: wait = read.take(cost, now: clock.now)
            case .write: wait = write.take(cost, now: clock.now)
            }
            guard wait > .zero else { return }
            try await clock.sleep(for: wait, tolerance: nil)
        }
    }
}
