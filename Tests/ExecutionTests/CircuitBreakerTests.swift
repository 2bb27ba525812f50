import Foundation
import ExecutorTesting
import Markets
import Testing
@testable import Execution

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    static let t0: Int64 = 1_795_000_000_000  // 2026-11-18 UTC, mid-day

    static func order(_ ticker: String = "KXNFL-26JAN11-BUF", event: String = "KXNFL-26JAN11", _ count: String = "10", risk: String = "5") -> BreakerOrder {
        BreakerOrder(ticker: ticker, eventTicker: event, positionChange: contracts(count), risk: (try? Dollars(parsing: risk)) ?? .zero)
    }

    /// A breaker with generous limits except those a test sets.
    static func breaker(_ adjust: (inout BreakerSettings) -> Void = { _ in }) -> CircuitBreaker {
        var settings = BreakerSettings(limits: RiskLimits(
            maxPositionSize: contracts("100"), maxRiskPerTrade: (try? Dollars(parsing: "500")) ?? .zero,
            maxDailyLoss: (try? Dollars(parsing: "1000")) ?? .zero, maxDailyTrades: 1_000, maxDailyVolume: contracts("100000"),
            maxPositionPerEvent: contracts("500"), maxOrdersPerMinute: 1_000, minTimeBetweenOrders: .zero, maxConsecutiveLosses: 5),
            maxTotalPosition: contracts("1000"))
        adjust(&settings)
        return CircuitBreaker(settings: settings, nowMs: t0)
    }

    /// Submits `order` and applies it as filled.
    static func fill(_ breaker: inout CircuitBreaker, _ order: BreakerOrder, at ms: Int64) {
        breaker.recordSubmitted(order, nowMs: ms)
        breaker.recordFill(ticker: order.ticker, eventTicker: order.eventTicker, positionChange: order.positionChange)
    }

    static func allowed(_ result: Result<Void, BreakerDenial>) -> Bool {
        if case .success = result { return true }
        return false
    }

    static func code(_ result: Result<Void, BreakerDenial>) -> BreakerDenial.Code? {
        if case let .failure(denial) = result { return denial.code }
        return nil
    }

    @Test("the snapshot's hand-written JSON reads back as written, and as JSONEncoder's form does", arguments: [
        BreakerSnapshot(haltReason: nil, day: 20_775, tradesToday: 3, volumeToday: contracts("12.5"), realizedToday: .zero,
                        consecutiveLosses: 0, lossStreakResetMs: nil),
        BreakerSnapshot(haltReason: "JOURNAL_WRITE_FAILED: \"disk\" full\n\tC:\\ é \u{1}", day: 0, tradesToday: 0, volumeToday: .zero,
                        realizedToday: (try? Dollars(parsing: "-12.345678")) ?? .zero, consecutiveLosses: 7, lossStreakResetMs: -1),
    ])
    func snapshotJSON(_ snapshot: BreakerSnapshot) throws {
        let written = try JSONDecoder().decode(BreakerSnapshot.self, from: Data(snapshot.json.utf8))
        #expect(written == snapshot)
        let encoded = try JSONDecoder().decode(BreakerSnapshot.self, from: JSONEncoder().encode(snapshot))
        #expect(encoded == written)
    }

    @Test("TS-18 position size: stable code and key=value context")
    func positionSize() {
        var b = Self.breaker()
        let result = b.check(Self.order("KX-1", "150"), nowMs: Self.t0)
        guard case let .failure(denial) = result else { Issue.record("allowed"); return }
        #expect(denial.description == "POSITION_SIZE_EXCEEDS_LIMIT: contracts=150.00 limit=100.00")
        #expect(b.denials[.positionSizeExceedsLimit] == 1)
    }

    @Test("TS-18 risk per trade, daily loss, daily trades, daily volume")
    func dailyLimits() {
        var b = Self.breaker()
        #expect(Self.code(b.check(Self.order(risk: "500.01"), nowMs: Self.t0)) == .riskPerTradeExceedsLimit)
        b.recordResult((try? Dollars(parsing: "-1000")) ?? .zero, nowMs: Self.t0)
        #expect(Self.code(b.check(Self.order(), nowMs: Self.t0)) == .dailyLossLimitReached)

        var trades = Self.breaker { $0.limits.maxDailyTrades = 2 }
        Self.fill(&trades, Self.order("A", "1"), at: Self.t0)
        Self.fill(&trades, Self.order("B", "1"), at: Self.t0)
        #expect(Self.code(trades.check(Self.order("C", "1"), nowMs: Self.t0)) == .dailyTradeLimitReached)

        var volume = Self.breaker { $0.limits.maxDailyVolume = contracts("15") }
        Self.fill(&volume, Self.order("A", "10"), at: Self.t0)
        #expect(Self.code(volume.check(Self.order("B", "6"), nowMs: Self.t0)) == .dailyVolumeExceedsLimit)
        #expect(Self.allowed(volume.check(Self.order("B", "5"), nowMs: Self.t0)))
    }

    @Test("TS-18 per market, per event and total positions; reducing is always allowed")
    func positions() {
        var b = Self.breaker { $0.limits.maxPositionPerEvent = contracts("150"); $0.maxTotalPosition = contracts("250") }
        Self.fill(&b, Self.order("A", event: "E1", "90"), at: Self.t0)
        #expect(Self.code(b.check(Self.order("A", event: "E1", "20"), nowMs: Self.t0)) == .marketPositionExceedsLimit)
        #expect(Self.allowed(b.check(Self.order("A", event: "E1", "-50"), nowMs: Self.t0)), "reducing passes")
        Self.fill(&b, Self.order("B", event: "E1", "50"), at: Self.t0)
        #expect(Self.code(b.check(Self.order("C", event: "E1", "20"), nowMs: Self.t0)) == .eventPositionExceedsLimit)
        Self.fill(&b, Self.order("D", event: "E2", "100"), at: Self.t0)
        #expect(Self.code(b.check(Self.order("F", event: "E3", "20"), nowMs: Self.t0)) == .totalPositionExceedsLimit)
    }

    @Test("exposure totals stay exact through reductions, flips and reconciliation")
    func exposureBookkeeping() {
        var b = Self.breaker { $0.limits.maxPositionPerEvent = contracts("100"); $0.maxTotalPosition = contracts("150") }
        Self.fill(&b, Self.order("A", event: "E1", "60"), at: Self.t0)
        Self.fill(&b, Self.order("A", event: "E1", "-90"), at: Self.t0)  // flips to −30 NO
        Self.fill(&b, Self.order("B", event: "E1", "40"), at: Self.t0)
        // E1 exposure is |−30| + 40 = 70: 30 more fits, 31 does not.
        #expect(Self.allowed(b.check(Self.order("C", event: "E1", "30"), nowMs: Self.t0)))
        #expect(Self.code(b.check(Self.order("C", event: "E1", "31"), nowMs: Self.t0)) == .eventPositionExceedsLimit)
        // Reconciliation sets positions outright; totals follow.
        b.setPosition(ticker: "A", eventTicker: "E1", position: .zero)
        #expect(Self.allowed(b.check(Self.order("C", event: "E1", "60"), nowMs: Self.t0)))
        b.setPosition(ticker: "Z", eventTicker: "E9", position: contracts("-110"))
        #expect(Self.code(b.check(Self.order("Y", event: "E8", "1"), nowMs: Self.t0)) == .totalPositionExceedsLimit)
    }

    @Test("TS-18 orders per minute and minimum gap")
    func pacing() {
        var rate = Self.breaker { $0.limits.maxOrdersPerMinute = 3 }
        for i in 0..<3 { Self.fill(&rate, Self.order("M\(i)", "1"), at: Self.t0 + Int64(i) * 1_000) }
        #expect(Self.code(rate.check(Self.order("X", "1"), nowMs: Self.t0 + 30_000)) == .orderRateExceeded)
        #expect(Self.allowed(rate.check(Self.order("X", "1"), nowMs: Self.t0 + 60_001)))

        var gap = Self.breaker { $0.limits.minTimeBetweenOrders = .milliseconds(100) }
        Self.fill(&gap, Self.order("A", "1"), at: Self.t0)
        #expect(Self.code(gap.check(Self.order("B", "1"), nowMs: Self.t0 + 99)) == .minimumGapNotElapsed)
        #expect(Self.allowed(gap.check(Self.order("B", "1"), nowMs: Self.t0 + 100)))
    }

    @Test("orders per minute: only the last minute's send times are kept, however high the limit")
    func rateWindowBounded() {
        var breaker = Self.breaker {
            $0.limits.maxOrdersPerMinute = 1_000_000
            $0.limits.maxDailyTrades = 1_000_000
            $0.limits.maxDailyVolume = contracts("10000000")
        }
        // 20 orders a second for five minutes: 6,000 orders, 1,200 of them in any minute.
        for i in 0..<6_000 { breaker.recordSubmitted(Self.order("M\(i % 50)", "1"), nowMs: Self.t0 + Int64(i) * 50) }
        let last = Self.t0 + 5_999 * 50
        #expect(breaker.ordersStoredForRateLimit == 1_200)
        #expect(breaker.usage(nowMs: last).first { $0.variable == "MAX_ORDERS_PER_MINUTE" }?.used == "1200")
        // Counted without being recorded again: a minute after the last order none counts.
        #expect(breaker.usage(nowMs: last + 60_000).first { $0.variable == "MAX_ORDERS_PER_MINUTE" }?.used == "0")
    }

    @Test("orders per minute: a wall clock stepping back keeps the count exact")
    func rateWindowClockStep() {
        var breaker = Self.breaker { $0.limits.maxOrdersPerMinute = 3 }
        breaker.recordSubmitted(Self.order("A", "1"), nowMs: Self.t0 + 10_000)
        breaker.recordSubmitted(Self.order("B", "1"), nowMs: Self.t0)  // the clock stepped back 10 s
        breaker.recordSubmitted(Self.order("C", "1"), nowMs: Self.t0 + 20_000)
        #expect(Self.code(breaker.check(Self.order("X", "1"), nowMs: Self.t0 + 30_000)) == .orderRateExceeded)
        // The order stamped t0 ages out first, whatever the order it was recorded in.
        #expect(Self.allowed(breaker.check(Self.order("X", "1"), nowMs: Self.t0 + 60_001)))
        #expect(breaker.usage(nowMs: Self.t0 + 70_001).first { $0.variable == "MAX_ORDERS_PER_MINUTE" }?.used == "1")
    }

    @Test("orders per minute: a group's legs count against the limit together, the window untouched by the trial")
    func rateWindowGroup() {
        var breaker = Self.breaker { $0.limits.maxOrdersPerMinute = 3 }
        breaker.recordSubmitted(Self.order("A", "1"), nowMs: Self.t0)
        #expect(Self.allowed(breaker.checkGroup([Self.order("B", "1"), Self.order("C", "1")], nowMs: Self.t0 + 1_000)))
        #expect(Self.code(breaker.checkGroup([Self.order("B", "1"), Self.order("C", "1"), Self.order("D", "1")], nowMs: Self.t0 + 1_000))
                == .orderRateExceeded)
        #expect(breaker.ordersStoredForRateLimit == 1)
    }

    @Test("TS-18 consecutive losses; a win resets the streak")
    func losses() {
        var b = Self.breaker { $0.limits.maxConsecutiveLosses = 2 }
        b.recordResult((try? Dollars(parsing: "-1")) ?? .zero, nowMs: Self.t0)
        b.recordResult((try? Dollars(parsing: "2")) ?? .zero, nowMs: Self.t0)
        b.recordResult((try? Dollars(parsing: "-1")) ?? .zero, nowMs: Self.t0)
        #expect(Self.allowed(b.check(Self.order(), nowMs: Self.t0)))
        b.recordResult((try? Dollars(parsing: "-1")) ?? .zero, nowMs: Self.t0)
        #expect(Self.code(b.check(Self.order(), nowMs: Self.t0)) == .consecutiveLossesReached)
    }

    @Test("blacklist until a time")
    func blacklist() {
        var b = Self.breaker()
        b.blacklist("KX-BAD", untilMs: Self.t0 + 300_000)
        #expect(Self.code(b.check(Self.order("KX-BAD", "1"), nowMs: Self.t0 + 299_999)) == .marketBlacklisted)
        #expect(Self.allowed(b.check(Self.order("KX-BAD", "1"), nowMs: Self.t0 + 300_000)))
    }

    @Test("TS-19 a manual halt survives a restart (through the snapshot) until resume")
    func haltSurvivesRestart() {
        var b = Self.breaker()
        b.halt(reason: "desk says stop")
        let restarted = b.snapshot
        var again = CircuitBreaker(settings: b.settings, restoring: restarted, nowMs: Self.t0 + 3_600_000)
        guard case let .failure(denial) = again.check(Self.order(), nowMs: Self.t0 + 3_600_000) else { Issue.record("allowed"); return }
        #expect(denial.description == "MANUAL_HALT: reason=desk says stop")
        again.resume(nowMs: Self.t0 + 3_600_000)
        #expect(Self.allowed(again.check(Self.order(), nowMs: Self.t0 + 3_600_000)))
    }

    @Test("TS-20 daily counters reset at 00:00 UTC; a manual halt does not")
    func rollover() {
        var b = Self.breaker { $0.limits.maxDailyTrades = 1 }
        let midnight = (Self.t0 / 86_400_000 + 1) * 86_400_000
        Self.fill(&b, Self.order("A", "1"), at: midnight - 1)
        #expect(Self.code(b.check(Self.order("B", "1"), nowMs: midnight - 1)) == .dailyTradeLimitReached)
        #expect(Self.allowed(b.check(Self.order("B", "1"), nowMs: midnight)))
        #expect(b.tradesToday == 0)
        b.halt(reason: "x")
        #expect(Self.code(b.check(Self.order("C", "1"), nowMs: midnight + 86_400_000)) == .manualHalt)
        // Restoring yesterday's snapshot today keeps the halt but not yesterday's counters.
        var restored = CircuitBreaker(settings: b.settings, restoring: b.snapshot, nowMs: midnight + 2 * 86_400_000)
        #expect(restored.haltReason == "x" && restored.tradesToday == 0)
        restored.resume(nowMs: midnight + 2 * 86_400_000)
    }

    @Test("TS-21 consecutive errors open the breaker; after the cooldown one trial; success closes, failure reopens")
    func cooldownAndHalfOpen() {
        var b = Self.breaker { $0.maxConsecutiveErrors = 2; $0.cooldown = .seconds(60) }
        b.recordError("timeout", nowMs: Self.t0)
        #expect(Self.allowed(b.check(Self.order(), nowMs: Self.t0)))
        b.recordError("timeout", nowMs: Self.t0)
        #expect(Self.code(b.check(Self.order(), nowMs: Self.t0 + 59_999)) == .breakerOpen)
        #expect(Self.allowed(b.check(Self.order(), nowMs: Self.t0 + 60_000)), "one trial after the cooldown")
        b.recordSubmitted(Self.order(), nowMs: Self.t0 + 60_000)
        #expect(Self.code(b.check(Self.order("B", "1"), nowMs: Self.t0 + 60_001)) == .halfOpenTrialInFlight)
        b.recordError("5xx", nowMs: Self.t0 + 60_500)
        #expect(Self.code(b.check(Self.order(), nowMs: Self.t0 + 61_000)) == .breakerOpen, "a failed trial reopens")
        #expect(Self.allowed(b.check(Self.order(), nowMs: Self.t0 + 120_500)))
        b.recordSubmitted(Self.order(), nowMs: Self.t0 + 120_500)
        b.recordSuccess()
        #expect(b.state == .closed)
        #expect(Self.allowed(b.check(Self.order("B", "1"), nowMs: Self.t0 + 120_600)))
    }

    @Test("TS-16 an overfill trips the breaker at once")
    func trip() {
        var b = Self.breaker()
        b.trip("overfill on order c-9", nowMs: Self.t0)
        guard case let .failure(denial) = b.check(Self.order(), nowMs: Self.t0 + 1) else { Issue.record("allowed"); return }
        #expect(denial.code == .breakerOpen)
        #expect(denial.description.contains("overfill on order c-9"))
    }
}

@Suite("Circuit breaker: exposure revised once the venue says how an arb's legs ended")
struct ExposureRevisionTests {
    static let t0 = CircuitBreakerTests.t0

    static func dollars(_ text: String) -> Dollars { (try? Dollars(parsing: text)) ?? .zero }

    /// Results recorded one by one in a run, the exposure among them (`-old` at its time), then revised
    /// to `new` at `nowMs`; against the breaker a restart builds from the journal's results, where the
    /// exposure's record now says `new` at `nowMs` (the rebuilt record's time).
    static func compare(_ results: [(ms: Int64, pnl: String)], exposureAt index: Int, old: String, new: String, nowMs: Int64,
                        resumeAtMs: Int64? = nil) -> (run: CircuitBreaker, restart: CircuitBreaker) {
        var run = CircuitBreakerTests.breaker()
        var resumed = false
        for result in results {
            if let resume = resumeAtMs, !resumed, result.ms >= resume { run.resume(nowMs: resume); resumed = true }
            run.recordResult(dollars(result.pnl), nowMs: result.ms)
        }
        run.reviseExposure(from: dollars(old), to: dollars(new), countedAtMs: results[index].ms, nowMs: nowMs)
        var journal = results.enumerated().filter { $0.offset != index }.map {
            RealizedResult(nanoseconds: $0.element.ms * 1_000_000, ticker: "t", pnl: dollars($0.element.pnl))
        }
        if dollars(new).micros > 0 { journal.append(RealizedResult(nanoseconds: nowMs * 1_000_000, ticker: "pair", pnl: dollars(new).negated)) }
        let restart = CircuitBreaker(settings: run.settings, restoring: run.snapshot, results: journal, nowMs: nowMs)
        return (run, restart)
    }

    @Test("revised to what a restart rebuilds: hedged inside the streak, hedged before a win, partly left, left as it was",
          arguments: [
            // (results, exposure's index, old, new)
            ([(0, "-1"), (10, "-9.50"), (20, "-1")], 1, "9.50", "0"),
            ([(0, "-1"), (10, "-9.50"), (20, "2"), (30, "-1")], 1, "9.50", "0"),
            ([(0, "-1"), (10, "-9.50"), (20, "2"), (30, "-1")], 1, "9.50", "4.00"),
            ([(0, "2"), (10, "-9.50")], 1, "9.50", "4.00"),
            ([(0, "-9.50"), (10, "-1")], 0, "9.50", "9.50"),
          ] as [([(Int64, String)], Int, String, String)])
    func matchesRestart(_ results: [(Int64, String)], _ index: Int, _ old: String, _ new: String) {
        let (run, restart) = Self.compare(results.map { (ms: Self.t0 + $0.0, pnl: $0.1) }, exposureAt: index, old: old, new: new, nowMs: Self.t0 + 100)
        #expect(run.realizedToday == restart.realizedToday, "realised today")
        #expect(run.consecutiveLosses == restart.consecutiveLosses, "losing streak")
    }

    @Test("an exposure counted yesterday is not taken off today's figures; what is left counts today")
    func earlierDay() {
        let midnight = (Self.t0 / 86_400_000 + 1) * 86_400_000
        var b = CircuitBreakerTests.breaker()
        b.recordResult(Self.dollars("-9.50"), nowMs: midnight - 10)
        b.recordResult(Self.dollars("-1"), nowMs: midnight + 10)
        b.reviseExposure(from: Self.dollars("9.50"), to: .zero, countedAtMs: midnight - 10, nowMs: midnight + 20)
        #expect(b.realizedToday == Self.dollars("-1") && b.consecutiveLosses == 1)
        b.reviseExposure(from: Self.dollars("9.50"), to: Self.dollars("2"), countedAtMs: midnight - 10, nowMs: midnight + 30)
        #expect(b.realizedToday == Self.dollars("-3") && b.consecutiveLosses == 2)
    }

    @Test("an exposure before a resume is out of the streak already: hedging it leaves the streak alone")
    func beforeResume() {
        let (run, restart) = Self.compare([(ms: Self.t0, pnl: "-9.50"), (ms: Self.t0 + 20, pnl: "-1")], exposureAt: 0, old: "9.50", new: "0",
                                          nowMs: Self.t0 + 100, resumeAtMs: Self.t0 + 10)
        #expect(run.consecutiveLosses == 1 && restart.consecutiveLosses == 1)
        #expect(run.realizedToday == restart.realizedToday && run.realizedToday == Self.dollars("-1"))
    }

    @Test("MAX_DAILY_LOSS and MAX_CONSECUTIVE_LOSSES lift once the exposure that tripped them is gone")
    func limitsLift() {
        var b = CircuitBreakerTests.breaker { $0.limits.maxDailyLoss = Self.dollars("5"); $0.limits.maxConsecutiveLosses = 1 }
        b.recordResult(Self.dollars("-9.50"), nowMs: Self.t0)
        #expect(CircuitBreakerTests.code(b.check(CircuitBreakerTests.order("A", "1", risk: "1"), nowMs: Self.t0 + 1)) == .dailyLossLimitReached)
        b.reviseExposure(from: Self.dollars("9.50"), to: .zero, countedAtMs: Self.t0, nowMs: Self.t0 + 2)
        #expect(CircuitBreakerTests.allowed(b.check(CircuitBreakerTests.order("A", "1", risk: "1"), nowMs: Self.t0 + 3)))
    }
}
