import ExecutorTesting
import Testing
@testable import KalshiWire
import Markets

@Suite("Token buckets")
struct RateLimiterTests {
    @Test("a bucket starts full, refills at its rate, and never exceeds capacity")
    func bucket() {
        let clock = ManualClock()
        var bucket = TokenBucket<ManualClock>(refillPerSecond: 100, capacity: 100, now: clock.now)
        let firstTen = (0..<10).map { _ in bucket.tryTake(10, now: clock.now) }
        #expect(firstTen.allSatisfy { $0 })
        let eleventh = bucket.tryTake(10, now: clock.now)
        #expect(!eleventh)
        clock.advance(by: .milliseconds(99))
        let almost = bucket.tryTake(10, now: clock.now)
        #expect(!almost, "9.9 tokens are not 10")
        clock.advance(by: .milliseconds(1))
        let refilled = bucket.tryTake(10, now: clock.now)
        #expect(refilled)
        clock.advance(by: .seconds(60))
        let capped = bucket.available(now: clock.now)
        #expect(capped == 100)
    }

    @Test("reservations queue as debt: the n-th waits for its share of the refill")
    func reservations() {
        let clock = ManualClock()
        var bucket = TokenBucket<ManualClock>(refillPerSecond: 100, capacity: 100, now: clock.now)
        let waits = (0..<15).map { _ in bucket.reserve(10, now: clock.now) }
        #expect(waits.prefix(10).allSatisfy { $0 == .zero })
        #expect(Array(waits.suffix(5)) == [.milliseconds(100), .milliseconds(200), .milliseconds(300), .milliseconds(400), .milliseconds(500)])
    }

    @Test("the limiter makes the 11th write at Basic wait on the clock, not in real time")
    func limiterWaits() async throws {
        let clock = ManualClock()
        let limiter = KalshiRateLimiter(tier: .basic, clock: clock, safetyFactorPercent: 100, burstPercent: 100)
        for _ in 0..<10 { try await limiter.acquire(10, from: .write) }
        let eleventh = Task { try await limiter.acquire(10, from: .write) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(100))
        try await eleventh.value
        // Reads have their own bucket.
        try await limiter.acquire(10, from: .read)
        #expect(clock.sleeperCount == 0)
    }

    @Test("by default the client holds half the exchange's burst: 5 writes at once at Basic, then 95 tokens/s")
    func defaultBurst() async throws {
        let clock = ManualClock()
        let limiter = KalshiRateLimiter(tier: .basic, clock: clock)
        for _ in 0..<5 { try await limiter.acquire(10, from: .write) }
        let sixth = Task { try await limiter.acquire(10, from: .write) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(105))  // 10 tokens at 95/s = 105.3 ms
        #expect(clock.sleeperCount == 1, "not yet")
        clock.advance(by: .milliseconds(1))
        try await sixth.value
    }

    @Test("a cost above the client's bucket (a large batch) waits for a full bucket and leaves owing the rest; the next write waits out the debt")
    func costAboveCapacity() async throws {
        let clock = ManualClock()
        let limiter = KalshiRateLimiter(tier: .basic, clock: clock)  // write bucket: 50 tokens, 95/s
        try await limiter.acquire(10, from: .write)
        let batch = Task { try await limiter.acquire(80, from: .write) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(106))  // 40 → 50 tokens: full
        try await batch.value
        let next = Task { try await limiter.acquire(10, from: .write) }
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(420))  // −30 → +9.9: not yet 10
        #expect(clock.sleeperCount == 1, "the batch's debt is paid first")
        clock.advance(by: .milliseconds(5))
        try await next.value
    }

    @Test("the write gate's width in tokens: what the venue's bucket holds beyond the limiter's burst")
    func writeTokensInFlight() {
        #expect(KalshiRateLimiter<ManualClock>.writeTokensInFlight(tier: .basic) == 50)
        #expect(KalshiRateLimiter<ManualClock>.writeTokensInFlight(tier: .advanced) == 150)
        #expect(KalshiRateLimiter<ManualClock>.writeTokensInFlight(tier: .basic, burstPercent: 100) == 10)
    }

    @Test("tiers carry Kalshi's budgets")
    func tiers() {
        #expect(KalshiRateTier.basic.readTokensPerSecond == 200)
        #expect(KalshiRateTier.basic.writeTokensPerSecond == 100)
        #expect(KalshiRateTier.prestige.writeTokensPerSecond == 9_600)
    }
}
