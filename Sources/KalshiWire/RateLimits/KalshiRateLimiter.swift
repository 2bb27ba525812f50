import Markets

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

    public static var defaultBurstPercent: Int { 50 }

    /// Write tokens that may be in flight at once: the part of the venue's write bucket the limiter's burst
    /// leaves free (at least one standard-cost request). A transport's write gate holds each write by its
    /// cost, so five creates (10 each) fill it on the Basic tier, as do twenty-five cancels (2 each) or one
    /// batch of twenty cancels with a few single ones.
    public static func writeTokensInFlight(tier: KalshiRateTier, burstPercent: Int = defaultBurstPercent) -> Int {
        let burst = max(KalshiEndpointCost.standard, tier.writeTokensPerSecond * burstPercent / 100)
        return max(KalshiEndpointCost.standard, tier.writeTokensPerSecond - burst)
    }

    public init(tier: KalshiRateTier, clock: C, safetyFactorPercent: Int = 95, burstPercent: Int = defaultBurstPercent) {
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
    ///
    /// A cost above the bucket's capacity (a large batch) waits for a full bucket, then leaves with the rest
    /// owed: the requests after it wait until the debt is paid back. (Waiting for tokens the bucket can
    /// never hold would hold the request for ever.)
    public func acquire(_ cost: Int, from bucket: RateBucket) async throws {
        let upFront = min(cost, Int(withBucket(bucket) { $0.capacity }))
        while true {
            let now = clock.now
            let wait = withBucket(bucket) { $0.take(upFront, now: now) }
            if wait > .zero {
                try await clock.sleep(for: wait, tolerance: nil)
                continue
            }
            if cost > upFront { _ = withBucket(bucket) { $0.reserve(cost - upFront, now: now) } }
            return
        }
    }

    /// `body` on the bucket named.
    private func withBucket<T>(_ bucket: RateBucket, _ body: (inout TokenBucket<C>) -> T) -> T {
        switch bucket {
        case .read: body(&read)
        case .write: body(&write)
        }
    }
}
