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
        // tokens × 1e9 per second of elapsed time = rate × elapsed-nanoseconds.
        let (added, overflow) = elapsed.wholeNanoseconds.multipliedReportingOverflow(by: refillPerSecond)
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
