import Markets

/// What the breaker needs to know about an order before it is sent.
public struct BreakerOrder: Sendable, Hashable {
    public var ticker: String
    public var eventTicker: String
    /// Signed change the order would make to the market position if filled (+ YES, − NO).
    public var positionChange: Contracts
    /// Money at risk if filled (what a buyer pays).
    public var risk: Dollars
    /// Closes exposure left by a leg that over-filled: when it only reduces the market's position, only a
    /// manual halt stops it (rate, gap, daily and loss limits exist to stop new risk, not its unwinding).
    public var closing: Bool

    public init(ticker: String, eventTicker: String, positionChange: Contracts, risk: Dollars, closing: Bool = false) {
        self.ticker = ticker
        self.eventTicker = eventTicker
        self.positionChange = positionChange
        self.risk = risk
        self.closing = closing
    }

    public var contracts: Contracts { positionChange.magnitude }
}

/// Limits beyond `RiskLimits` that the breaker enforces.
public struct BreakerSettings: Sendable, Hashable {
    public var limits: RiskLimits
    /// Sum of absolute positions across all markets.
    public var maxTotalPosition: Contracts
    /// Consecutive execution errors that open the breaker.
    public var maxConsecutiveErrors: Int
    /// How long the breaker stays open before allowing one trial order.
    public var cooldown: Duration

    public init(limits: RiskLimits = RiskLimits(), maxTotalPosition: Contracts = Contracts(hundredths: 1_000 * 100),
                maxConsecutiveErrors: Int = 3, cooldown: Duration = .seconds(60)) {
        self.limits = limits
        self.maxTotalPosition = maxTotalPosition
        self.maxConsecutiveErrors = maxConsecutiveErrors
        self.cooldown = cooldown
    }
}

/// One limit's usage: what counts against it now and the limit (both as the configuration spells them).
public struct LimitUsage: Sendable, Hashable, Codable {
    public var name: String
    /// The configuration variable that sets the limit.
    public var variable: String
    public var used: String
    public var limit: String
    /// used / limit in [0, 1] (display only; 1 when the limit is 0 and something is used).
    public var fraction: Double

    static func fraction(_ used: Int64, _ limit: Int64) -> Double {
        guard limit > 0 else { return used > 0 ? 1 : 0 }
        return min(1, max(0, Double(used) / Double(limit)))
    }
}

/// The breaker's durable part: what must survive a restart (a manual halt above all) and the day's
/// counters, so a restarted executor neither forgets a halt nor resets its daily limits.
public struct BreakerSnapshot: Sendable, Hashable, Codable {
    public var haltReason: String?
    /// Days since 1970-01-01 (UTC) the counters belong to.
    public var day: Int64
    public var tradesToday: Int
    public var volumeToday: Contracts
    public var realizedToday: Dollars
    public var consecutiveLosses: Int
    /// When the losing streak was last reset by `resume` (Unix ms): results before it do not count.
    public var lossStreakResetMs: Int64?

    /// The `Codable` form (what `JSONDecoder` reads back), written by hand: every order's completion
    /// stores it, and `JSONEncoder` cost ~10 µs of it.
    public var json: String {
        var writer = JSONObjectWriter(capacity: 160)
        if let haltReason { writer.string("haltReason", haltReason) }
        writer.raw("day", day)
        writer.raw("tradesToday", tradesToday)
        writer.string("volumeToday", volumeToday.wireString)
        writer.string("realizedToday", realizedToday.wireString)
        writer.raw("consecutiveLosses", consecutiveLosses)
        if let lossStreakResetMs { writer.raw("lossStreakResetMs", lossStreakResetMs) }
        return String(decoding: writer.finish(), as: UTF8.self)
    }
}

/// The circuit breaker in front of every executor. A value type owned by the execution actor, so a
/// check is plain arithmetic (no locks, no actor hop). Time is injected as Unix milliseconds.
///
/// States: closed (normal); open after `maxConsecutiveErrors` errors, for `cooldown`; then half-open,
/// where one trial order may go: success closes, failure re-opens. A manual halt overrides everything
/// and is only lifted by `resume()`; it survives daily rollover and (through `snapshot`) restarts.
public struct CircuitBreaker: Sendable {
    public enum State: Sendable, Hashable {
        case closed
        case open(untilMs: Int64, reason: String)
        case halfOpen(trialInFlight: Bool)
    }

    public let settings: BreakerSettings
    public private(set) var state: State = .closed
    public private(set) var haltReason: String?
    private var day: Int64 = 0
    public private(set) var tradesToday = 0
    public private(set) var volumeToday = Contracts.zero
    /// Realised P&L of the day (losses negative).
    public private(set) var realizedToday = Dollars.zero
    public private(set) var consecutiveLosses = 0
    public private(set) var consecutiveErrors = 0
    private var recentOrders = OrderWindow()
    /// Orders of a group under trial counted as sent (`evaluateGroup`'s trial copy; zero otherwise), so a
    /// trial never copies `recentOrders`.
    private var trialOrders = 0
    private var lastOrderMs: Int64?
    private var blacklist: [String: Int64] = [:]
    private var marketPositions: [String: Contracts] = [:]
    private var marketEvents: [String: String] = [:]
    /// Σ|position| per event and overall, kept up to date so a check is O(1).
    private var eventExposure: [String: Int64] = [:]
    private var totalExposure: Int64 = 0
    /// Denials by code, for metrics.
    public private(set) var denials: [BreakerDenial.Code: Int] = [:]

    private var lossStreakResetMs: Int64?
    /// When the losing streak last started over (a result that was not a loss, a resume, a new day): a loss
    /// counted at or after it is part of the current streak.
    private var streakStartMs: Int64 = .min

    /// A breaker restored after a restart: the halt and the day's counters from `snapshot`, and the day's
    /// realised P&L and the losing streak rebuilt from the journal's realised `results` (every closing
    /// order and settlement, oldest first), which are the record of truth for both loss limits.
    public init(settings: BreakerSettings = BreakerSettings(), restoring snapshot: BreakerSnapshot? = nil, results: [RealizedResult]? = nil,
                nowMs: Int64) {
        self.settings = settings
        day = Self.utcDay(nowMs)
        if let snapshot {
            haltReason = snapshot.haltReason
            lossStreakResetMs = snapshot.lossStreakResetMs
            if snapshot.day == day {
                tradesToday = snapshot.tradesToday
                volumeToday = snapshot.volumeToday
                realizedToday = snapshot.realizedToday
                consecutiveLosses = snapshot.consecutiveLosses
            }
        }
        if let results {
            realizedToday = .zero
            consecutiveLosses = 0
            streakStartMs = max(day * 86_400_000, lossStreakResetMs ?? .min)
            for result in results where Self.utcDay(result.nanoseconds / 1_000_000) == day {
                realizedToday = realizedToday.addingSaturated(result.pnl)
                if let reset = lossStreakResetMs, result.nanoseconds / 1_000_000 < reset { continue }
                if result.pnl.micros < 0 {
                    consecutiveLosses += 1
                } else {
                    consecutiveLosses = 0
                    streakStartMs = result.nanoseconds / 1_000_000
                }
            }
        }
    }

    /// Unix nanoseconds of the start of the UTC day the breaker counts (the journal's results from here on
    /// rebuild it).
    public static func dayStartNanoseconds(nowMs: Int64) -> Int64 { utcDay(nowMs) * 86_400_000_000_000 }

    static func utcDay(_ ms: Int64) -> Int64 { ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000 }

    public var snapshot: BreakerSnapshot {
        BreakerSnapshot(haltReason: haltReason, day: day, tradesToday: tradesToday, volumeToday: volumeToday,
                        realizedToday: realizedToday, consecutiveLosses: consecutiveLosses, lossStreakResetMs: lossStreakResetMs)
    }

    /// Each limit's usage now, for views (the status page, `status`): what counts against it and the limit.
    public func usage(nowMs: Int64) -> [LimitUsage] {
        var copy = self
        copy.rollover(nowMs)
        let limits = settings.limits
        let realized = copy.realizedToday.micros
        let loss = Dollars(micros: realized >= 0 ? 0 : realized == .min ? .max : -realized)
        let inWindow = recentOrders.count(nowMs: nowMs)
        return [
            LimitUsage(name: "daily loss", variable: "MAX_DAILY_LOSS", used: loss.wireString, limit: limits.maxDailyLoss.wireString,
                       fraction: LimitUsage.fraction(loss.micros, limits.maxDailyLoss.micros)),
            LimitUsage(name: "consecutive losses", variable: "MAX_CONSECUTIVE_LOSSES", used: String(copy.consecutiveLosses),
                       limit: String(limits.maxConsecutiveLosses), fraction: LimitUsage.fraction(Int64(copy.consecutiveLosses), Int64(limits.maxConsecutiveLosses))),
            LimitUsage(name: "trades today", variable: "MAX_DAILY_TRADES", used: String(copy.tradesToday), limit: String(limits.maxDailyTrades),
                       fraction: LimitUsage.fraction(Int64(copy.tradesToday), Int64(limits.maxDailyTrades))),
            LimitUsage(name: "volume today", variable: "MAX_DAILY_VOLUME", used: copy.volumeToday.wireString, limit: limits.maxDailyVolume.wireString,
                       fraction: LimitUsage.fraction(copy.volumeToday.hundredths, limits.maxDailyVolume.hundredths)),
            LimitUsage(name: "orders last minute", variable: "MAX_ORDERS_PER_MINUTE", used: String(inWindow), limit: String(limits.maxOrdersPerMinute),
                       fraction: LimitUsage.fraction(Int64(inWindow), Int64(limits.maxOrdersPerMinute))),
            LimitUsage(name: "total position", variable: "built-in", used: Contracts(hundredths: totalExposure).wireString,
                       limit: settings.maxTotalPosition.wireString, fraction: LimitUsage.fraction(totalExposure, settings.maxTotalPosition.hundredths)),
            LimitUsage(name: "consecutive errors", variable: "built-in", used: String(consecutiveErrors),
                       limit: String(settings.maxConsecutiveErrors), fraction: LimitUsage.fraction(Int64(consecutiveErrors), Int64(settings.maxConsecutiveErrors))),
        ]
    }

    // MARK: Checking

    /// Resets the daily counters at 00:00 UTC (a manual halt stays).
    private mutating func rollover(_ nowMs: Int64) {
        let today = Self.utcDay(nowMs)
        guard today != day else { return }
        day = today
        tradesToday = 0
        volumeToday = .zero
        realizedToday = .zero
        consecutiveLosses = 0
        streakStartMs = today * 86_400_000
    }

    private func absolute(_ value: Contracts) -> Int64 { value.magnitude.hundredths }

    /// Exposure sums saturate: a venue-reported position near `Int64.max` must not trap the process.
    private static func sum(_ a: Int64, _ b: Int64) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : value
    }

    /// Whether `order` may be sent now. Nothing is counted until `recordSubmitted`.
    public mutating func check(_ order: BreakerOrder, nowMs: Int64) -> Result<Void, BreakerDenial> {
        rollover(nowMs)
        let result = evaluate(order, nowMs: nowMs)
        if case let .failure(denial) = result { denials[denial.code, default: 0] += 1 }
        return result
    }

    /// Whether `order` closes exposure: marked closing and only reducing its market's position.
    private func onlyReduces(_ order: BreakerOrder) -> Bool {
        guard order.closing else { return false }
        let current = marketPositions[order.ticker]?.hundredths ?? 0
        let after = current &+ order.positionChange.hundredths
        return current != 0 && (after == 0 || (after > 0) == (current > 0)) && after.magnitude < current.magnitude
    }

    /// Whether a group of orders sent together (the legs of an arbitrage) may go now, as one decision:
    /// each leg is checked as if the legs before it were sent, the state and the minimum gap apply to the
    /// group once. Nothing is counted until `recordSubmitted` for each.
    public mutating func checkGroup(_ orders: [BreakerOrder], nowMs: Int64) -> Result<Void, BreakerDenial> {
        rollover(nowMs)
        let result = evaluateGroup(orders, nowMs: nowMs)
        if case let .failure(denial) = result { denials[denial.code, default: 0] += 1 }
        return result
    }

    private mutating func evaluateGroup(_ orders: [BreakerOrder], nowMs: Int64) -> Result<Void, BreakerDenial> {
        guard let first = orders.first else { return .success(()) }
        if case let .failure(denial) = evaluate(first, nowMs: nowMs) { return .failure(denial) }
        var trial = self
        trial.recordTrial(first, nowMs: nowMs)
        for order in orders.dropFirst() {
            if case let .failure(denial) = trial.evaluate(order, nowMs: nowMs, member: true) { return .failure(denial) }
            trial.recordTrial(order, nowMs: nowMs)
        }
        return .success(())
    }

    /// The most whole contracts (at most `limit`) a group may carry now: `orders(count)` builds the group
    /// for a count. The denial of a single contract when not even that may go.
    public func capacity(upTo limit: Int64, nowMs: Int64, _ orders: (Contracts) -> [BreakerOrder]) -> Result<Contracts, BreakerDenial> {
        func allowed(_ count: Int64) -> Result<Void, BreakerDenial> {
            var copy = self
            copy.rollover(nowMs)
            return copy.evaluateGroup(orders(Contracts(hundredths: count * Contracts.scale)), nowMs: nowMs)
        }
        if case let .failure(denial) = allowed(1) { return .failure(denial) }
        var low: Int64 = 1, high = max(limit, 1)
        while low < high {
            let mid = low + (high - low + 1) / 2
            if case .success = allowed(mid) { low = mid } else { high = mid - 1 }
        }
        return .success(Contracts(hundredths: low * Contracts.scale))
    }

    private mutating func evaluate(_ order: BreakerOrder, nowMs: Int64, member: Bool = false) -> Result<Void, BreakerDenial> {
        let limits = settings.limits
        func deny(_ code: BreakerDenial.Code, _ context: [(String, String)]) -> Result<Void, BreakerDenial> {
            .failure(BreakerDenial(code, context.map { (key: $0.0, value: $0.1) }))
        }
        if let haltReason { return deny(.manualHalt, [("reason", haltReason)]) }
        if onlyReduces(order) { return .success(()) }
        if !member {
            switch state {
            case let .open(untilMs, reason):
                if nowMs < untilMs { return deny(.breakerOpen, [("reason", reason), ("retry_in_ms", String(untilMs - nowMs))]) }
                state = .halfOpen(trialInFlight: false)
            case .halfOpen(trialInFlight: true):
                return deny(.halfOpenTrialInFlight, [])
            case .closed, .halfOpen(trialInFlight: false):
                break
            }
        }
        if let until = blacklist[order.ticker] {
            if nowMs < until { return deny(.marketBlacklisted, [("ticker", order.ticker), ("until_ms", String(until))]) }
            blacklist[order.ticker] = nil
        }
        if order.contracts > limits.maxPositionSize {
            return deny(.positionSizeExceedsLimit, [("contracts", order.contracts.wireString), ("limit", limits.maxPositionSize.wireString)])
        }
        if order.risk > limits.maxRiskPerTrade {
            return deny(.riskPerTradeExceedsLimit, [("risk", order.risk.wireString), ("limit", limits.maxRiskPerTrade.wireString)])
        }
        if realizedToday.micros < 0, -realizedToday.micros >= limits.maxDailyLoss.micros {
            return deny(.dailyLossLimitReached, [("loss", realizedToday.negated.wireString), ("limit", limits.maxDailyLoss.wireString)])
        }
        if tradesToday >= limits.maxDailyTrades {
            return deny(.dailyTradeLimitReached, [("trades", String(tradesToday)), ("limit", String(limits.maxDailyTrades))])
        }
        // Sizes are bounded by the checks above (≤ MAX_POSITION_SIZE); still, an overflow denies.
        guard let volume = try? volumeToday + order.contracts else {
            return deny(.dailyVolumeExceedsLimit, [("volume", "overflow"), ("limit", limits.maxDailyVolume.wireString)])
        }
        if volume > limits.maxDailyVolume {
            return deny(.dailyVolumeExceedsLimit, [("volume", volume.wireString), ("limit", limits.maxDailyVolume.wireString)])
        }
        let current = marketPositions[order.ticker] ?? .zero
        guard let afterPosition = try? current + order.positionChange else {
            return deny(.marketPositionExceedsLimit, [("ticker", order.ticker), ("position", "overflow"), ("limit", limits.maxPositionSize.wireString)])
        }
        let after = afterPosition.hundredths
        let afterMagnitude = afterPosition.magnitude.hundredths
        // Reducing a position is always allowed by the position caps.
        let increases = afterMagnitude > absolute(current)
        if increases, afterMagnitude > limits.maxPositionSize.hundredths {
            return deny(.marketPositionExceedsLimit, [("ticker", order.ticker), ("position", Contracts(hundredths: after).wireString),
                                                      ("limit", limits.maxPositionSize.wireString)])
        }
        if increases {
            let growth = afterMagnitude - absolute(current)
            let eventTotal = Self.sum(eventExposure[order.eventTicker] ?? 0, growth)
            let total = Self.sum(totalExposure, growth)
            if eventTotal > limits.maxPositionPerEvent.hundredths {
                return deny(.eventPositionExceedsLimit, [("event", order.eventTicker), ("position", Contracts(hundredths: eventTotal).wireString),
                                                         ("limit", limits.maxPositionPerEvent.wireString)])
            }
            if total > settings.maxTotalPosition.hundredths {
                return deny(.totalPositionExceedsLimit, [("position", Contracts(hundredths: total).wireString),
                                                         ("limit", settings.maxTotalPosition.wireString)])
            }
        }
        let inWindow = recentOrders.count(nowMs: nowMs) + trialOrders
        if inWindow >= limits.maxOrdersPerMinute {
            return deny(.orderRateExceeded, [("orders_last_minute", String(inWindow)), ("limit", String(limits.maxOrdersPerMinute))])
        }
        if !member, let last = lastOrderMs {
            let gap = nowMs - last
            let minimum = limits.minTimeBetweenOrders.wholeMilliseconds
            if gap < minimum { return deny(.minimumGapNotElapsed, [("elapsed_ms", String(max(gap, 0))), ("limit_ms", String(minimum))]) }
        }
        if limits.maxConsecutiveLosses > 0, consecutiveLosses >= limits.maxConsecutiveLosses {
            return deny(.consecutiveLossesReached, [("losses", String(consecutiveLosses)), ("limit", String(limits.maxConsecutiveLosses))])
        }
        return .success(())
    }

    // MARK: Recording

    /// An order that passed `check` is being sent.
    public mutating func recordSubmitted(_ order: BreakerOrder, nowMs: Int64) {
        countSubmitted(order, nowMs: nowMs)
        recentOrders.record(nowMs: nowMs, limit: settings.limits.maxOrdersPerMinute)
    }

    /// A group's order, in `evaluateGroup`'s trial copy: counted as sent and filled.
    private mutating func recordTrial(_ order: BreakerOrder, nowMs: Int64) {
        countSubmitted(order, nowMs: nowMs)
        trialOrders += 1
        recordFill(ticker: order.ticker, eventTicker: order.eventTicker, positionChange: order.positionChange)
    }

    private mutating func countSubmitted(_ order: BreakerOrder, nowMs: Int64) {
        rollover(nowMs)
        tradesToday += 1
        volumeToday = volumeToday.addingSaturated(order.contracts)
        lastOrderMs = nowMs
        if case .halfOpen = state { state = .halfOpen(trialInFlight: true) }
    }

    /// Send times the per-minute window holds (for tests: bounded by the minute and the limit).
    var ordersStoredForRateLimit: Int { recentOrders.stored }

    /// A fill changed a market position.
    public mutating func recordFill(ticker: String, eventTicker: String, positionChange: Contracts) {
        setPosition(ticker: ticker, eventTicker: eventTicker, position: (marketPositions[ticker] ?? .zero).addingSaturated(positionChange))
    }

    /// Sets a market position outright (start-up, reconciliation), keeping the exposure totals exact.
    public mutating func setPosition(ticker: String, eventTicker: String, position: Contracts) {
        let old = absolute(marketPositions[ticker] ?? .zero)
        if let previousEvent = marketEvents[ticker] { eventExposure[previousEvent] = Self.sum(eventExposure[previousEvent] ?? 0, -old) }
        let new = absolute(position)
        eventExposure[eventTicker] = Self.sum(eventExposure[eventTicker] ?? 0, new)
        totalExposure = Self.sum(Self.sum(totalExposure, new), -old)
        marketEvents[ticker] = eventTicker
        marketPositions[ticker] = position.hundredths == 0 ? nil : position
    }

    /// A trade's realised result: losses count towards the daily loss and the losing streak.
    public mutating func recordResult(_ pnl: Dollars, nowMs: Int64) {
        rollover(nowMs)
        realizedToday = realizedToday.addingSaturated(pnl)
        if pnl.micros < 0 {
            consecutiveLosses += 1
        } else {
            consecutiveLosses = 0
            streakStartMs = nowMs
        }
    }

    /// Exposure an arbitrage left open was counted as a loss of `old` at `countedAtMs`; the venue has since
    /// said how its legs ended and `new` is left (zero: the arb hedged), recorded now. The day's loss and
    /// the losing streak become what a restart rebuilds from the journal's new record: the old loss comes
    /// out of both (a loss before the current streak began was not in it; one counted on an earlier day is
    /// not in today's figures) and what is left counts as a loss now.
    public mutating func reviseExposure(from old: Dollars, to new: Dollars, countedAtMs: Int64, nowMs: Int64) {
        rollover(nowMs)
        if old.micros > 0, Self.utcDay(countedAtMs) == day {
            realizedToday = realizedToday.addingSaturated(old)
            if countedAtMs >= streakStartMs { consecutiveLosses = max(0, consecutiveLosses - 1) }
        }
        if new.micros > 0 {
            realizedToday = realizedToday.addingSaturated(new.negated)
            consecutiveLosses += 1
        }
    }

    /// An execution error (venue rejection for a technical reason, ambiguous outcome, overfill…).
    public mutating func recordError(_ reason: String, nowMs: Int64) {
        consecutiveErrors += 1
        if case .halfOpen = state {
            state = .open(untilMs: nowMs + settings.cooldown.wholeMilliseconds, reason: "trial failed: \(reason)")
        } else if consecutiveErrors >= settings.maxConsecutiveErrors {
            state = .open(untilMs: nowMs + settings.cooldown.wholeMilliseconds, reason: "\(consecutiveErrors) consecutive errors, last: \(reason)")
        }
    }

    /// Opens the breaker at once (an overfill or another condition that needs a human look).
    public mutating func trip(_ reason: String, nowMs: Int64) {
        state = .open(untilMs: nowMs + settings.cooldown.wholeMilliseconds, reason: reason)
    }

    /// An order completed without error: a half-open trial closes the breaker.
    public mutating func recordSuccess() {
        consecutiveErrors = 0
        if case .halfOpen = state { state = .closed }
    }

    /// Halts all new orders until `resume()`.
    public mutating func halt(reason: String) { haltReason = reason.isEmpty ? "manual halt" : reason }

    /// Lifts a manual halt and resets the losing streak (results before `nowMs` no longer count towards it).
    public mutating func resume(nowMs: Int64) {
        haltReason = nil
        consecutiveLosses = 0
        lossStreakResetMs = nowMs
        streakStartMs = nowMs
    }

    /// Refuses orders in `ticker` until `untilMs`.
    public mutating func blacklist(_ ticker: String, untilMs: Int64) { blacklist[ticker] = untilMs }
}

extension Journal {
    /// Records a manual halt while no executor runs on this journal (the caller holds its lock): the
    /// next run starts halted.
    public func recordHalt(reason: String, at nanoseconds: Int64) throws {
        var breaker = CircuitBreaker(restoring: try loadBreaker(), nowMs: nanoseconds / 1_000_000)
        breaker.halt(reason: reason)
        try saveBreaker(breaker.snapshot, at: nanoseconds)
    }

    /// Lifts a recorded halt, resets the losing streak and acknowledges recorded drift, while no executor
    /// runs on this journal (the caller holds its lock).
    public func recordResume(at nanoseconds: Int64) throws {
        try acknowledgeDrift()
        var breaker = CircuitBreaker(restoring: try loadBreaker(), nowMs: nanoseconds / 1_000_000)
        breaker.resume(nowMs: nanoseconds / 1_000_000)
        try saveBreaker(breaker.snapshot, at: nanoseconds)
    }
}
