import Execution
import Markets

/// The engine's limits and timings.
public struct ArbSettings: Sendable, Hashable {
    /// `MIN_ARB_PROFIT`: least profit per contract after both venues' fees.
    public var minProfit = Dollars(micros: 10_000)
    /// `ARB_MAX_AGE_MS`: an arb older than this when its legs would go is aborted.
    public var maxAge: Duration = .milliseconds(500)
    /// How long a pair stays claimed after a success, thin liquidity or a dry run (a failure or denial
    /// releases it at once).
    public var hold: Duration = .seconds(10)
    /// Mismatches on one pair that blacklist it, and for how long.
    public var mismatchesToBlacklist = 3
    public var blacklistFor: Duration = .seconds(300)
    /// The close ladder: each retry sells `closeStep` lower, `closeInterval` apart, never below `closeFloor`;
    /// on Polymarket it starts after `polymarketSettlement` (the fill must settle before it can be sold).
    public var closeStep = Dollars(micros: 10_000)
    public var closeFloor = Dollars(micros: 10_000)
    public var closeInterval: Duration = .milliseconds(100)
    public var polymarketSettlement: Duration = .seconds(2)
    /// Arbs running at once (across pairs), and arbs waiting for a slot before new ones are refused.
    public var maxConcurrent = 64
    public var queueCapacity = 10_000
    /// Check everything, send nothing (`ARB_DRY_RUN`).
    public var dryRun = false

    public init() {}
}

/// Counters of the engine.
public struct ArbStats: Sendable, Hashable, Codable {
    public var received = 0
    public var filled = 0
    public var mismatchClosed = 0
    public var exposureLeft = 0
    public var aborted = 0
    public var denied = 0
    public var refused = 0
    public var running = 0
    public var queued = 0

    public var line: String {
        "arbs=\(received) filled=\(filled) mismatch_closed=\(mismatchClosed) exposure_left=\(exposureLeft) aborted=\(aborted) "
            + "denied=\(denied) refused=\(refused)"
    }
}

/// The two-leg arbitrage engine. Each arb goes through the seed's checks in order (in flight for its
/// pair → both markets known and open on venues this run trades → pair not blacklisted → young enough →
/// profit after both venues' fees → both books fresh and still offering the legs' prices, re-priced
/// now → liquidity → venue minimums and price grids → balances → breaker capacity, both legs capped to
/// the same count), then both legs leave together; a mismatched fill is closed on the venue that
/// over-filled. Every outcome is journaled with its reason.
///
/// Many arbs run at once (up to `maxConcurrent`, any number of pairs); a pair runs one arb at a time: the
/// claim is a dictionary entry owned by this actor (no lock), released at once after a failure or a
/// denial, `hold` later after a success or thin liquidity.
public actor ArbEngine {
    private enum Claim {
        case running
        case held(untilNanoseconds: Int64)
    }

    public nonisolated let settings: ArbSettings
    private let legs: any LegExecutor
    private let venues: any ArbVenues
    private let journal: Journal?
    private let wallNanoseconds: @Sendable () -> Int64
    private let sleep: @Sendable (Duration) async -> Void
    private let log: @Sendable (String) -> Void
    private var claims: [String: Claim] = [:]
    private var mismatches: [String: Int] = [:]
    private var blacklist: [String: Int64] = [:]
    private var waiting: [ArbSignal] = []
    private var waitingHead = 0
    private var running = 0
    private var idle: [CheckedContinuation<Void, Never>] = []
    public private(set) var stats = ArbStats()
    /// Every recorded arb, as it is recorded (views, tests).
    private var observers: [@Sendable (JournalArb) -> Void] = []

    public init(legs: any LegExecutor, venues: any ArbVenues, journal: Journal?, settings: ArbSettings = ArbSettings(),
                wallNanoseconds: @escaping @Sendable () -> Int64 = ExecutionService.systemWallClock,
                sleep: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.legs = legs
        self.venues = venues
        self.journal = journal
        self.settings = settings
        self.wallNanoseconds = wallNanoseconds
        self.sleep = sleep
        self.log = log
    }

    public func observe(_ observer: @escaping @Sendable (JournalArb) -> Void) { observers.append(observer) }

    /// Told the arb id just before its legs are handed over (benchmarks time decision → wire from here).
    private var sending: (@Sendable (String) -> Void)?
    public func onSend(_ handler: @escaping @Sendable (String) -> Void) { sending = handler }

    /// Takes an accepted arb: it runs now when a slot is free, else waits for one. `false` when even the
    /// waiting line is full (the caller refuses it out loud).
    @discardableResult
    public func submit(_ arb: ArbSignal) -> Bool {
        guard running < settings.maxConcurrent else {
            guard waiting.count - waitingHead < settings.queueCapacity else {
                stats.refused += 1
                return false
            }
            waiting.append(arb)
            stats.queued = waiting.count - waitingHead
            return true
        }
        start(arb)
        return true
    }

    private func start(_ arb: ArbSignal) {
        running += 1
        stats.running = running
        Task { await self.run(arb) }
    }

    private func run(_ arb: ArbSignal) async {
        await process(arb)
        running -= 1
        if waitingHead < waiting.count {
            let next = waiting[waitingHead]
            waitingHead += 1
            if waitingHead == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                waitingHead = 0
            }
            start(next)
        }
        stats.running = running
        stats.queued = waiting.count - waitingHead
        if running == 0, waiting.isEmpty {
            let waiters = idle
            idle.removeAll()
            for waiter in waiters { waiter.resume() }
        }
    }

    /// Returns once no arb is running or waiting.
    public func drain() async {
        guard running > 0 || waitingHead < waiting.count else { return }
        await withCheckedContinuation { idle.append($0) }
    }

    /// Whether `pair` has an arb running, or is held or blacklisted (a new arb on it would be refused).
    public func isBusy(_ pair: String) -> Bool {
        let now = wallNanoseconds()
        if let until = blacklist[pair], until > now { return true }
        switch claims[pair] {
        case .running?: return true
        case let .held(until)?: return until > now
        case nil: return false
        }
    }

    /// Pairs blacklisted now, with when each is released (Unix ns).
    public var blacklisted: [String: Int64] {
        let now = wallNanoseconds()
        return blacklist.filter { $0.value > now }
    }

    // MARK: One arb

    private func process(_ arb: ArbSignal) async {
        stats.received += 1
        let now = wallNanoseconds()
        let pair = arb.pairID
        switch claims[pair] {
        case .running?:
            return await record(arb, .aborted, "in_flight: pair \(pair) already has an arb in flight", legs: arb.legs.map { ($0, nil) })
        case let .held(until)? where until > now:
            return await record(arb, .aborted, "in_flight: pair \(pair) traded within the last \(settings.hold); held until it settles",
                          legs: arb.legs.map { ($0, nil) })
        default:
            claims[pair] = .running
        }
        let decision = await decide(arb)
        claims[pair] = decision.hold ? .held(untilNanoseconds: wallNanoseconds() + settings.hold.wholeNanoseconds) : nil
        await record(decision.arb)
    }

    private struct Decision {
        var arb: JournalArb
        var hold: Bool
    }

    private func line(_ leg: LegRequest, _ result: LegResult?) -> JournalArb.Leg {
        JournalArb.Leg(platform: leg.platform.rawValue, instrument: leg.instrument, action: leg.action.rawValue, side: leg.side.rawValue,
                       price: leg.price.wireString, contracts: leg.contracts.wireString, filled: (result?.filled ?? .zero).wireString,
                       averagePrice: result?.averagePrice?.wireString, fees: (result?.fees ?? .zero).wireString, clientOrderID: result?.clientOrderID,
                       venueOrderID: result?.venueOrderID, error: result?.error)
    }

    private func journalArb(_ arb: ArbSignal, _ outcome: ArbOutcome, _ reason: String, legs: [(LegRequest, LegResult?)],
                            closes: [(LegRequest, LegResult)] = [], realized: Dollars = .zero, exposure: Dollars = .zero) -> JournalArb {
        JournalArb(arbID: arb.arbID, pairID: arb.pairID, description: arb.description, receivedNanoseconds: arb.receivedNanoseconds,
                   decidedNanoseconds: wallNanoseconds(), outcome: outcome, reason: reason, legs: legs.map { line($0.0, $0.1) },
                   closes: closes.map { line($0.0, $0.1) }, realizedPnl: realized, exposure: exposure)
    }

    private func record(_ arb: ArbSignal, _ outcome: ArbOutcome, _ reason: String, legs: [(LegRequest, LegResult?)]) async {
        await record(journalArb(arb, outcome, reason, legs: legs))
    }

    /// Counts, journals (on the journal's own thread: the engine takes other arbs meanwhile), logs and
    /// tells the observers, in that order.
    private func record(_ arb: JournalArb) async {
        switch arb.outcome {
        case .filled: stats.filled += 1
        case .mismatchClosed: stats.mismatchClosed += 1
        case .exposureLeft: stats.exposureLeft += 1
        case .aborted: stats.aborted += 1
        case .denied: stats.denied += 1
        }
        do { try await journal?.offloaded { try $0.recordArb(arb) } } catch {
            log("ERROR arb \(arb.arbID) could not be journaled: \(error)")
        }
        let fills = arb.legs.map { "\($0.platform) \($0.side) \($0.filled)/\($0.contracts)" + ($0.averagePrice.map { " @ \($0)" } ?? "") }
        log("ARB \(arb.arbID.escapingControlCharacters) \(arb.pairID.escapingControlCharacters) \(arb.outcome.rawValue): \(arb.reason)"
            + (arb.outcome == .aborted || arb.outcome == .denied ? "" : " [\(fills.joined(separator: "; "))] realized=\(arb.realizedPnl.wireString)")
            + (arb.exposure.micros > 0 ? " exposure=\(arb.exposure.wireString)" : ""))
        for observer in observers { observer(arb) }
    }

    /// The checks, the send, the mismatch handling.
    private func decide(_ arb: ArbSignal) async -> Decision {
        let unsent = arb.legs.map { ($0, LegResult?.none) }
        func abort(_ reason: String, hold: Bool = false) -> Decision {
            Decision(arb: journalArb(arb, .aborted, reason, legs: unsent), hold: hold)
        }
        // Both markets known and open on venues this run trades.
        var markets: [ListedMarket] = []
        for leg in arb.legs {
            guard venues.platforms.contains(leg.platform) else {
                return abort("no_execution_path: \(venues.noPath(leg.platform)) (leg \(leg.legID)); the whole arb aborted, no leg sent")
            }
            guard let market = await venues.market(leg.platform, leg.instrument) else {
                return abort("market_not_found: \(leg.instrument.prefix(40)) is not listed on \(leg.platform.rawValue)")
            }
            guard market.isOpen else { return abort("market_not_open: \(leg.instrument.prefix(40)) is \(market.status) on \(leg.platform.rawValue)") }
            markets.append(market)
        }
        let now = wallNanoseconds()
        if let until = blacklist[arb.pairID] {
            if until > now { return abort("blacklisted: pair \(arb.pairID) after \(settings.mismatchesToBlacklist) mismatches, for another \((until - now) / 1_000_000_000) s") }
            blacklist[arb.pairID] = nil
        }
        if let problem = tooOld(arb) { return abort(problem) }
        var count = Contracts(hundredths: arb.contracts.hundredths / Contracts.scale * Contracts.scale)
        guard count.isPositive else { return abort("below_minimum: \(arb.contracts.wireString) contracts is less than one whole contract") }
        // Profit at the legs' own prices (the worst either leg can fill at), after both venues' fees.
        if let problem = shortfall(arb.legs, markets, count: count) {
            return abort(problem)
        }
        // Both books fresh, still offering each leg at its price, re-priced now; depth on both.
        var depth: [Contracts] = []
        for (leg, market) in zip(arb.legs, markets) {
            guard let book = await venues.book(leg.platform, market.ticker).freshBook else {
                return abort("stale_book: the \(leg.platform.rawValue) book of \(leg.instrument.prefix(40)) is stale or resynchronising")
            }
            let side = market.sideFlipped ? leg.side.opposite : leg.side
            guard let ask = book.bestAsk(side)?.price, ask <= leg.price else {
                let now = book.bestAsk(side).map { "is now \($0.price.wireString)" } ?? "is gone"
                return abort("edge_gone: the \(leg.platform.rawValue) \(leg.side.rawValue) ask \(now), above the leg's \(leg.price.wireString)")
            }
            depth.append(book.walkToBuy(side, count: count, limit: leg.price).filled)
        }
        let available = depth.min() ?? .zero
        guard available.hundredths >= Contracts.scale else {
            return abort("thin_liquidity: \(depth.map(\.wireString).joined(separator: " and ")) contracts at the legs' prices", hold: true)
        }
        count = Contracts(hundredths: min(count.hundredths, available.hundredths / Contracts.scale * Contracts.scale))
        // The venues' rules for the count and prices.
        for (leg, market) in zip(arb.legs, markets) {
            if let problem = Self.violation(leg, market, count: count) { return abort(problem) }
        }
        // Each venue's cash covers its leg.
        for platform in Set(arb.legs.map(\.platform)) {
            let cost = zip(arb.legs, markets).filter { $0.0.platform == platform }.reduce(Dollars.zero) { total, pair in
                total.addingSaturated(Self.cost(pair.0, pair.1, count: count))
            }
            guard let cash = await venues.available(platform) else { return abort("balance_unknown: the \(platform.rawValue) balance cannot be read") }
            guard cash >= cost else {
                return abort("insufficient_balance: \(platform.rawValue) has \(cash.wireString), its leg needs \(cost.wireString)")
            }
        }
        // The breaker may cap the count (both legs alike).
        var sized = arb.legs.map { leg -> LegRequest in
            var leg = leg
            leg.contracts = count
            return leg
        }
        switch await legs.capacity(sized, upTo: count.hundredths / Contracts.scale) {
        case let .failure(denial):
            return Decision(arb: journalArb(arb, .denied, "denied: \(denial)", legs: unsent), hold: false)
        case let .success(allowed) where allowed < count:
            count = allowed
            for index in sized.indices { sized[index].contracts = count }
            for (leg, market) in zip(sized, markets) {
                if let problem = Self.violation(leg, market, count: count) { return abort("capped by the breaker to \(count.wireString): \(problem)") }
            }
        case .success:
            break
        }
        if settings.dryRun { return abort("dry_run: every check passed for \(count.wireString) contracts; nothing sent", hold: true) }
        if let problem = tooOld(arb) { return abort(problem) }

        sending?(arb.arbID)
        let results = await legs.executeLegs(sized, markets: markets, arbID: arb.arbID, signalAt: arb.arrivedAt)
        return await settle(arb, sized, markets, results)
    }

    private func tooOld(_ arb: ArbSignal) -> String? {
        let age = wallNanoseconds() - arb.receivedNanoseconds
        guard age > settings.maxAge.wholeNanoseconds else { return nil }
        return "too_old: \(age / 1_000_000) ms since it arrived, more than ARB_MAX_AGE_MS (\(settings.maxAge.wholeNanoseconds / 1_000_000))"
    }

    /// Why `legs` at `prices` (per contract) for `count` make less than the minimum profit, or `nil`.
    private func shortfall(_ legs: [LegRequest], _ markets: [ListedMarket], count: Contracts) -> String? {
        let cost = zip(legs, markets).reduce(Dollars.zero) { $0.addingSaturated(Self.cost($1.0, $1.1, count: count)) }
        let payout = Dollars(micros: count.hundredths * (Dollars.scale / Contracts.scale))
        let profit = (try? payout - cost) ?? Dollars(micros: .min)
        let needed = Dollars(micros: settings.minProfit.micros * count.hundredths / Contracts.scale)
        guard profit < needed else { return nil }
        return "below_min_profit: \(profit.wireString) for \(count.wireString) contracts at the signal's prices after fees, less than MIN_ARB_PROFIT "
            + "\(settings.minProfit.wireString) per contract"
    }

    /// What buying `count` of `leg` at its price costs, fees included.
    static func cost(_ leg: LegRequest, _ market: ListedMarket, count: Contracts) -> Dollars {
        let notional = (try? leg.price.notional(count, rounding: .up)) ?? Dollars(micros: .max)
        return notional.addingSaturated(market.fees.fee(count: count, price: leg.price, role: .taker))
    }

    /// A venue rule the leg would break at `count`: off its price grid, below its minimum size or notional.
    static func violation(_ leg: LegRequest, _ market: ListedMarket, count: Contracts) -> String? {
        let price = market.sideFlipped ? leg.price.complement : leg.price
        guard market.grid.contains(leg.price), market.grid.contains(price) else {
            return "off_grid: \(leg.price.wireString) is not a valid price of \(leg.instrument.prefix(40)) on \(leg.platform.rawValue) (\(market.grid))"
        }
        if let minimum = market.minimumSize, count < minimum {
            return "below_minimum: \(count.wireString) is under \(leg.platform.rawValue)'s minimum size \(minimum.wireString) for \(leg.instrument.prefix(40))"
        }
        if leg.platform == .polymarket, let notional = try? leg.price.notional(count, rounding: .down), notional < Dollars.one {
            return "below_minimum: \(notional.wireString) is under Polymarket's $1 minimum order value"
        }
        return nil
    }

    // MARK: After the send

    private func settle(_ arb: ArbSignal, _ sent: [LegRequest], _ markets: [ListedMarket], _ results: [LegResult]) async -> Decision {
        let legs = Array(zip(sent, results.map { Optional($0) }))
        if results.contains(where: \.denied) {
            return Decision(arb: journalArb(arb, .denied, "denied: \(results.compactMap(\.error).first ?? "by the breaker")", legs: legs), hold: false)
        }
        if let unknown = results.first(where: \.ambiguous) {
            let exposure = results.reduce(Dollars.zero) { $0.addingSaturated($1.notional) }
            await self.legs.recordExposure(exposure, instrument: arb.pairID, reason: "arb \(arb.arbID): leg \(unknown.legID) outcome unknown")
            return Decision(arb: journalArb(arb, .exposureLeft, "leg \(unknown.legID) outcome unknown (\(unknown.error ?? "no answer")); "
                                                + "nothing closed until the venue says how it ended", legs: legs, exposure: exposure), hold: true)
        }
        let filled = results.map(\.filled)
        let hedged = filled.min() ?? .zero
        let fees = results.reduce(Dollars.zero) { $0.addingSaturated($1.fees) }
        let cost = results.reduce(Dollars.zero) { $0.addingSaturated($1.notional) }
        if filled[0] == filled[1] {
            guard hedged.isPositive else {
                let errors = results.compactMap(\.error)
                return Decision(arb: journalArb(arb, .aborted, "no_fill: neither leg filled" + (errors.isEmpty ? "" : " (\(errors.joined(separator: "; ")))"),
                                                legs: legs), hold: false)
            }
            let realized = Self.realized(hedged: hedged, spent: cost, proceeds: .zero, held: .zero, fees: fees)
            return Decision(arb: journalArb(arb, .filled, "both legs filled \(hedged.wireString)", legs: legs, realized: realized), hold: true)
        }
        // Mismatch: the leg that filled more sells its excess back.
        let over = filled[0] > filled[1] ? 0 : 1
        let excess = Contracts(hundredths: filled[over].hundredths - filled[1 - over].hundredths)
        let count = (mismatches[arb.pairID] ?? 0) + 1
        mismatches[arb.pairID] = count
        if count >= settings.mismatchesToBlacklist {
            mismatches[arb.pairID] = 0
            blacklist[arb.pairID] = wallNanoseconds() + settings.blacklistFor.wholeNanoseconds
            log("BLACKLIST pair \(arb.pairID.escapingControlCharacters): \(count) mismatches; no arb on it for \(settings.blacklistFor)")
        }
        let closing = await close(sent[over], markets[over], excess: excess, from: results[over].averagePrice, arbID: arb.arbID)
        let closedCount = closing.reduce(Contracts.zero) { $0.addingSaturated($1.1.filled) }
        let proceeds = closing.reduce(Dollars.zero) { $0.addingSaturated($1.1.notional) }
        let closeFees = closing.reduce(Dollars.zero) { $0.addingSaturated($1.1.fees) }
        let left = Contracts(hundredths: max(excess.hundredths - closedCount.hundredths, 0))
        let overAverage = results[over].averagePrice.flatMap { Price($0) } ?? sent[over].price
        let exposure = (try? overAverage.notional(left, rounding: .up)) ?? .zero
        let realized = Self.realized(hedged: hedged, spent: cost, proceeds: proceeds, held: exposure, fees: fees.addingSaturated(closeFees))
        let what = "\(sent[over].platform.rawValue) filled \(filled[over].wireString), \(sent[1 - over].platform.rawValue) \(filled[1 - over].wireString)"
        if left.isPositive {
            await self.legs.recordExposure(exposure, instrument: sent[over].instrument,
                                           reason: "arb \(arb.arbID): \(left.wireString) contracts could not be sold down to \(settings.closeFloor.wireString)")
            return Decision(arb: journalArb(arb, .exposureLeft, "mismatch (\(what)); closed \(closedCount.wireString) of \(excess.wireString), "
                                                + "\(left.wireString) left open", legs: legs, closes: closing, realized: realized, exposure: exposure),
                            hold: false)
        }
        return Decision(arb: journalArb(arb, .mismatchClosed, "mismatch (\(what)); excess \(excess.wireString) sold back", legs: legs, closes: closing,
                                        realized: realized), hold: false)
    }

    /// What an arb realised: $1 per hedged contract and what closes brought, less what the legs cost and
    /// every fee — except the cost of contracts still held (`held`: exposure, not realised).
    static func realized(hedged: Contracts, spent: Dollars, proceeds: Dollars, held: Dollars, fees: Dollars) -> Dollars {
        Dollars(micros: hedged.hundredths * (Dollars.scale / Contracts.scale))
            .addingSaturated(proceeds).addingSaturated(spent.negated).addingSaturated(held).addingSaturated(fees.negated)
    }

    /// Sells `excess` of an over-filled leg: from its fill price, `closeStep` lower per retry,
    /// `closeInterval` apart, never below `closeFloor`, until flat or at the floor.
    private func close(_ leg: LegRequest, _ market: ListedMarket, excess: Contracts, from average: Dollars?, arbID: String) async -> [(LegRequest, LegResult)] {
        if leg.platform == .polymarket { await sleep(settings.polymarketSettlement) }
        let floor = Price(settings.closeFloor) ?? leg.price
        var price = average.flatMap { Price($0) }.flatMap { market.grid.round($0, .down) } ?? leg.price
        var remaining = excess
        var orders: [(LegRequest, LegResult)] = []
        while remaining.isPositive {
            let order = LegRequest(legID: "\(leg.legID)-close\(orders.count + 1)", platform: leg.platform, action: .sell, side: leg.side, price: price,
                                   contracts: remaining, instrument: leg.instrument)
            let result = await legs.executeLeg(order, arbID: arbID, closing: true)
            orders.append((order, result))
            remaining = Contracts(hundredths: max(remaining.hundredths - result.filled.hundredths, 0))
            guard remaining.isPositive, price > floor, !result.ambiguous else { break }
            let lower = Price(micros: max(price.micros - settings.closeStep.micros, floor.micros)) ?? floor
            price = market.grid.round(lower, .down).map { max($0, floor) } ?? lower
            await sleep(settings.closeInterval)
        }
        return orders
    }
}

/// An arb a run was executing when it stopped (a crash between sending the legs and recording the
/// outcome): its record rebuilt from its legs' orders as reconciliation left them.
public enum ArbRecovery {
    /// One order of the arb with what it filled.
    public struct Leg: Sendable {
        public var order: JournalOrder
        public var fills: [JournalFill]
        public init(order: JournalOrder, fills: [JournalFill]) {
            self.order = order
            self.fills = fills
        }
    }

    /// The arb's record: `filled` when both legs filled alike (net of any close), `aborted` when nothing
    /// filled, else `exposure_left` with the excess's cost — the close ladder did not finish, so the excess
    /// is still held and the breaker must count it.
    public static func rebuild(_ arb: ArbSignal, orders: [Leg], nowNanoseconds: Int64, cause: String = "interrupted by a restart") -> JournalArb {
        var legs: [JournalArb.Leg] = [], closes: [JournalArb.Leg] = []
        var filled: [Contracts] = arb.legs.map { _ in .zero }, cost: [Dollars] = arb.legs.map { _ in .zero }, closed: [Contracts] = arb.legs.map { _ in .zero }
        var proceeds = Dollars.zero, fees = Dollars.zero
        for leg in orders {
            let count = leg.fills.reduce(Contracts.zero) { $0.addingSaturated($1.count) }
            let money = leg.fills.reduce(Dollars.zero) { $0.addingSaturated((try? $1.price.notional($1.count, rounding: .up)) ?? .zero) }
            let paid = leg.fills.reduce(Dollars.zero) { $0.addingSaturated($1.fee) }
            fees = fees.addingSaturated(paid)
            guard let index = arb.legs.firstIndex(where: { leg.order.clientOrderID.contains("-\($0.legID)") }) else { continue }
            let request = arb.legs[index]
            let average = Dollars.average(of: money, over: count, rounding: .down)
            let line = JournalArb.Leg(platform: leg.order.platform.rawValue, instrument: request.instrument, action: leg.order.action.rawValue,
                                      side: request.side.rawValue, price: leg.order.limitPrice.wireString, contracts: leg.order.requested.wireString,
                                      filled: count.wireString, averagePrice: average?.wireString, fees: paid.wireString,
                                      clientOrderID: leg.order.clientOrderID, venueOrderID: leg.order.venueOrderID, error: nil)
            if leg.order.clientOrderID.contains("-\(request.legID)-close") {
                closed[index] = closed[index].addingSaturated(count)
                proceeds = proceeds.addingSaturated(money)
                closes.append(line)
            } else {
                filled[index] = filled[index].addingSaturated(count)
                cost[index] = cost[index].addingSaturated(money)
                legs.append(line)
            }
        }
        let held = zip(filled, closed).map { Contracts(hundredths: max($0.hundredths - $1.hundredths, 0)) }
        let hedged = held.min() ?? .zero
        let over = held.count == 2 && held[1] > held[0] ? 1 : 0
        let excess = Contracts(hundredths: (held.max() ?? .zero).hundredths - hedged.hundredths)
        let average = filled[over].isPositive ? Int128(cost[over].micros) * Int128(Contracts.scale) / Int128(filled[over].hundredths) : 0
        let exposure = Dollars(micros: Int64(average * Int128(excess.hundredths) / Int128(Contracts.scale)))
        let spent = cost.reduce(Dollars.zero) { $0.addingSaturated($1) }
        let realized = ArbEngine.realized(hedged: hedged, spent: spent, proceeds: proceeds, held: exposure, fees: fees)
        let outcome: ArbOutcome, reason: String
        if excess.isPositive {
            outcome = .exposureLeft
            reason = "\(cause): legs hold \(held.map(\.wireString).joined(separator: " and ")); the excess \(excess.wireString) was not closed"
        } else if hedged.isPositive {
            outcome = closes.isEmpty ? .filled : .mismatchClosed
            reason = "\(cause), both legs ended: \(hedged.wireString) hedged"
        } else {
            outcome = .aborted
            reason = "\(cause): nothing filled"
        }
        return JournalArb(arbID: arb.arbID, pairID: arb.pairID, description: arb.description, receivedNanoseconds: arb.receivedNanoseconds,
                          decidedNanoseconds: nowNanoseconds, outcome: outcome, reason: reason, legs: legs, closes: closes,
                          realizedPnl: outcome == .aborted ? .zero : realized, exposure: exposure)
    }
}
