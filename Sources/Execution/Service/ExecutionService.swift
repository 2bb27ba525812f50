import Foundation
import Markets
import Synchronization

/// One order the coordinator (or an operator) wants executed, with what the breaker and the journal need.
public struct OrderTicket: Sendable {
    public var request: ExecutionRequest
    public var eventTicker: String
    /// The data venue's price the signal saw (hybrid mode: production), journaled beside every fill.
    public var expectedPrice: Price?
    /// When the signal behind the order arrived.
    public var signalAt: ContinuousClock.Instant
    /// The signal's expected profit per contract at `expectedPrice`.
    public var edge: Dollars?
    /// Unwinds exposure (see `BreakerOrder.closing`).
    public var closing: Bool

    public init(request: ExecutionRequest, eventTicker: String, expectedPrice: Price?, signalAt: ContinuousClock.Instant = .now, edge: Dollars? = nil,
                closing: Bool = false) {
        self.request = request
        self.eventTicker = eventTicker
        self.expectedPrice = expectedPrice
        self.signalAt = signalAt
        self.edge = edge
        self.closing = closing
    }
}

/// What came of a ticket.
public enum ExecutionOutcome: Sendable {
    /// The breaker refused it; nothing was journaled as an order or sent.
    case denied(BreakerDenial)
    /// It could not be journaled, so it was not sent.
    case refused(String)
    case executed(ExecutionResult)
}

/// A point-in-time view of the execution side, for the admin API and the stats lines.
public struct ExecutionStatus: Sendable, Codable, Hashable {
    public var mode: ExecutionMode
    public var breaker: String
    public var haltReason: String?
    public var tradesToday: Int
    public var volumeToday: String
    public var openOrders: Int
    public var denials: [String: Int]
    /// Realised P&L of the UTC day (fees included), what `MAX_DAILY_LOSS` is checked against.
    public var realizedToday: String
    public var consecutiveLosses: Int
    /// The last journal write that failed (trading is halted until it is looked at), if any.
    public var persistenceFailure: String?
    /// Orders whose outcome the venue has not told yet.
    public var unresolvedOrders: Int
}

/// The one path from a ticket to a venue: circuit breaker → journal (committed) → executor → journal,
/// breaker and metrics. The breaker is a value owned here, so a check is plain arithmetic.
///
/// Every fill reaches the journal through here (paper and venue alike), moves the market's position and
/// realises P&L (`MarketPosition`), and each realised result feeds the breaker's daily loss and losing
/// streak. A journal write that fails halts trading at once (in memory, logged, shown by `status`):
/// what the journal does not hold would be forgotten by the next start.
public actor ExecutionService {
    public nonisolated let mode: ExecutionMode
    public nonisolated let journal: Journal
    public nonisolated let metrics: ExecutionMetrics
    /// The breaker's limits, for views that show each limit's usage.
    public nonisolated let breakerSettings: BreakerSettings
    private let executor: any Executor
    private var breaker: CircuitBreaker
    private let wallNanoseconds: @Sendable () -> Int64
    private let log: @Sendable (String) -> Void
    /// Orders whose outcome the venue could not tell us yet; settled by `settleUnresolved`.
    public private(set) var unresolved: Set<String> = []
    /// The first journal write that failed; trading stays halted while it is set.
    public private(set) var persistenceFailure: String?

    public static let systemWallClock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }

    /// Takes the journal over: writes back orders left only in its intent log (a crash mid-order), then
    /// restores the breaker's durable state (a manual halt, the day's counters), rebuilds the day's realised
    /// P&L and losing streak from the journal's results, and restores positions.
    public init(executor: any Executor, journal: Journal, mode: ExecutionMode, breaker settings: BreakerSettings,
                metrics: ExecutionMetrics = ExecutionMetrics(), wallNanoseconds: @escaping @Sendable () -> Int64 = ExecutionService.systemWallClock,
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.executor = executor
        self.journal = journal
        self.mode = mode
        self.metrics = metrics
        self.wallNanoseconds = wallNanoseconds
        self.log = log
        rows = DelayedRows(journal: journal, delay: Self.rowDelay)
        breakerSettings = settings
        try journal.recoverIntents()
        let nowMs = wallNanoseconds() / 1_000_000
        let results = try journal.realizedResults(since: CircuitBreaker.dayStartNanoseconds(nowMs: nowMs))
        breaker = CircuitBreaker(settings: settings, restoring: try journal.loadBreaker(), results: results, nowMs: nowMs)
        for position in try journal.positionsWithEvents() {
            breaker.setPosition(ticker: position.ticker, eventTicker: position.eventTicker, position: position.position)
        }
    }

    private var nowMs: Int64 { wallNanoseconds() / 1_000_000 }
    /// How long after the send an order's SQLite row is written (sooner if the execution ends first).
    static let rowDelay: Duration = .milliseconds(2)
    /// Writes the rows of orders still out after `rowDelay`.
    private let rows: DelayedRows
    /// How long a group's leg that is ready to be written waits for the others at most (then goes alone):
    /// a millisecond, several times the two legs' usual spread, well inside an arb's age limit. Zero: legs
    /// are not held (each leaves as soon as it is ready).
    public private(set) var launchHold: Duration = .milliseconds(1)
    public func setLaunchHold(_ hold: Duration) { launchHold = hold }

    /// Money at risk if the order fills: what a buyer pays, or what a seller could lose (`nil`: it does not
    /// fit in the money type, which the breaker treats as over any limit).
    private static func risk(_ request: ExecutionRequest) -> Dollars {
        let price = request.action == .buy ? request.limit : request.limit.complement
        return (try? price.notional(request.count, rounding: .up)) ?? Dollars(micros: .max)
    }

    /// What the breaker sees of a ticket.
    private static func breakerOrder(_ ticket: OrderTicket) -> BreakerOrder {
        let request = ticket.request
        return BreakerOrder(ticker: request.ticker, eventTicker: ticket.eventTicker, positionChange: request.positionChange, risk: risk(request),
                            closing: ticket.closing)
    }

    private func journalOrder(_ request: ExecutionRequest, at now: Int64) -> JournalOrder {
        JournalOrder(clientOrderID: request.clientOrderID, signalID: request.signalID, platform: request.platform, ticker: request.ticker,
                     action: request.action, side: request.side, limitPrice: request.limit, requested: request.count,
                     mode: mode.rawValue, createdNanoseconds: now)
    }

    private func deny(_ denial: BreakerDenial, tickers: [String], at now: Int64) {
        metrics.count("denials", [("code", denial.code.description)])
        for ticker in tickers { persist("the denial \(denial.code)") { try $0.record(denial, ticker: ticker, at: now) } }
    }

    /// - Parameter inCallersTask: the caller's task is never cancelled (the execution loop's chains), so
    ///   the order runs in it rather than in a task of its own: two thread hand-offs fewer per order (the
    ///   task's start and the caller's wake-up at its end). Otherwise the order gets its own task, so a
    ///   cancelled caller (a dropped admin request) cannot cut a journaled order short.
    public func execute(_ ticket: OrderTicket, inCallersTask: Bool = false) async -> ExecutionOutcome {
        let now = wallNanoseconds()
        let check = Self.breakerOrder(ticket)
        if case let .failure(denial) = breaker.check(check, nowMs: now / 1_000_000) {
            deny(denial, tickers: [ticket.request.ticker], at: now)
            return .denied(denial)
        }
        let order = journalOrder(ticket.request, at: now)
        do {
            try journal.recordIntent(order)
        } catch {
            metrics.count("journal_errors")
            return .refused("journal write failed, order not sent: \(error)")
        }
        breaker.recordSubmitted(check, nowMs: now / 1_000_000)
        return .executed(await perform(ticket, order, inCallersTask: inCallersTask))
    }

    /// The most whole contracts (at most `limit`) the breaker lets a group of orders carry now; `tickets`
    /// builds the group for a count. Nothing is counted.
    public func capacity(upTo limit: Int64, _ tickets: @Sendable (Contracts) -> [OrderTicket]) -> Result<Contracts, BreakerDenial> {
        breaker.capacity(upTo: limit, nowMs: nowMs) { count in tickets(count).map(Self.breakerOrder) }
    }

    /// Orders that go together (the legs of an arbitrage): the breaker decides for the group, every order
    /// is journaled before any is sent, then all are sent at once and each runs to its end. Outcomes in
    /// the tickets' order.
    public func executeGroup(_ tickets: [OrderTicket]) async -> [ExecutionOutcome] {
        let now = wallNanoseconds()
        let checks = tickets.map(Self.breakerOrder)
        if case let .failure(denial) = breaker.checkGroup(checks, nowMs: now / 1_000_000) {
            deny(denial, tickers: tickets.map(\.request.ticker), at: now)
            return tickets.map { _ in .denied(denial) }
        }
        let orders = tickets.map { journalOrder($0.request, at: now) }
        do {
            for order in orders { try journal.recordIntent(order) }
        } catch {
            // An intent written without its partner is recovered as a pending order and found absent.
            metrics.count("journal_errors")
            return tickets.map { _ in .refused("journal write failed, no leg sent: \(error)") }
        }
        for check in checks { breaker.recordSubmitted(check, nowMs: now / 1_000_000) }
        // Every leg made ready (signed, funds reserved) before any leaves, then all launched back to back.
        var prepared: [PreparedExecution] = []
        for ticket in tickets { prepared.append(await executor.prepare(ticket.request)) }
        // Each leg held at its write until the others are at theirs: they leave together (`LaunchGate`).
        let members = tickets.count > 1 && launchHold > .zero ? LaunchGate(members: tickets.count, hold: launchHold).members(tickets.count) : []
        let launched = zip(tickets, orders).enumerated().map { index, pair in
            let send = prepared[index].send
            guard members.indices.contains(index) else { return launch(pair.0, pair.1, send: send) }
            let member = members[index]
            return LaunchGate.$current.withValue(member) {
                launch(pair.0, pair.1) {
                    let result = await send()
                    member.withdraw()  // ended without a gated write (refused, paper, remote): not waited for
                    return result
                }
            }
        }
        return await withTaskGroup(of: (Int, ExecutionResult).self) { group in
            for (index, flight) in launched.enumerated() {
                group.addTask { (index, await self.complete(flight)) }
            }
            var results = [ExecutionOutcome](repeating: .refused("not run"), count: tickets.count)
            for await (index, result) in group { results[index] = .executed(result) }
            return results
        }
    }

    /// An order on its way: the send, and its journal row written meanwhile.
    private struct Flight: Sendable {
        let ticket: OrderTicket
        let order: JournalOrder
        let submittedAt: ContinuousClock.Instant
        /// The send in a task of its own; `nil` when the caller's task runs it (`execute(_:inCallersTask:)`).
        let running: Task<ExecutionResult, Never>?
        let send: @Sendable () async -> ExecutionResult
        /// Taken by whichever writes the order's row: the delayed insert, or the completion (in its own transaction).
        let row: DelayedRows.Claim
    }

    /// Sends an admitted order (checked, intent journaled, counted) and starts writing its row.
    private func launch(_ ticket: OrderTicket, _ order: JournalOrder, inCallersTask: Bool = false,
                        send: @escaping @Sendable () async -> ExecutionResult) -> Flight {
        let submittedAt = ContinuousClock.now
        // Once journaled, an order runs to its end even if the caller is cancelled (shutdown, a dropped
        // admin request): a half-sent order is exactly what the journal exists to prevent.
        // On the concurrency pool, not on the order lanes' event loop: with `LoopExecutor` preferred the
        // send, the write and the answer shared a thread (less CPU per order), but the hop to the loop
        // thread came first and cost more: single signals' p50 to the venue 509–683 µs on the loop
        // against 332–526 on the pool, an arb's legs written p50 434–478 against 331–376 (2026-12-04).
        let running = inCallersTask ? nil : Task { await send() }
        // Its row once the request is out (the intent log holds the order until then, and across a
        // crash): a couple of milliseconds later, or as soon as the execution ends, so the SQLite work
        // does not compete with the send for a core.
        return Flight(ticket: ticket, order: order, submittedAt: submittedAt, running: running, send: send, row: rows.schedule(order))
    }

    /// An admitted order (checked, intent journaled, counted): sent, its row written, its outcome recorded.
    private func perform(_ ticket: OrderTicket, _ order: JournalOrder, inCallersTask: Bool) async -> ExecutionResult {
        let executor = executor
        let request = ticket.request
        return await complete(launch(ticket, order, inCallersTask: inCallersTask, send: { await executor.execute(request) }))
    }

    /// Waits for a launched order's end (or runs its send, in the caller's task); journal, breaker and metrics.
    private func complete(_ flight: Flight) async -> ExecutionResult {
        let ticket = flight.ticket, order = flight.order, submittedAt = flight.submittedAt
        var result = if let running = flight.running { await running.value } else { await flight.send() }
        // An order that ended before its row was written gets it in its completion's transaction.
        var unwritten: JournalOrder?
        switch await flight.row.complete() {
        case .writeInCompletion: unwritten = order
        case .inserted(.success): break
        case let .inserted(.failure(error)): persistenceFailed("the row of order \(order.clientOrderID)", error)
        }
        if let expected = ticket.expectedPrice, let average = result.averagePrice {
            result.slippage = try? average - expected.dollars
        }
        if let edge = ticket.edge, result.order.filled.isPositive {
            // (edge − slippage) per contract × filled contracts, less fees.
            result.potentialProfit = try? {
                let perContract = try edge - (result.slippage ?? .zero)
                let gross = Dollars(micros: try Self.perContract(perContract, times: result.order.filled))
                return try gross - result.fees
            }()
        }
        var latencies: [LatencyStage: Duration] = [
            .signalToSubmitted: ticket.signalAt.duration(to: submittedAt),
            .signalToComplete: ticket.signalAt.duration(to: .now),
        ]
        latencies[.submittedToAcknowledged] = result.timing.acknowledged
        latencies[.signalToFirstFill] = result.timing.firstFill.map { ticket.signalAt.duration(to: submittedAt) + $0 }
        for (stage, duration) in latencies { metrics.record(stage, duration) }
        await record(result, ticket, latencies, inserting: unwritten)
        return result
    }

    /// Exposure an arbitrage could not close: counted by the breaker as a loss of `amount` now (its daily
    /// loss and losing streak), so a run that keeps leaving legs open stops itself.
    public func recordExposure(_ amount: Dollars, ticker: String, reason: String) {
        let now = wallNanoseconds()
        breaker.recordResult(amount.negated, nowMs: now / 1_000_000)
        metrics.count("exposure_left")
        log("EXPOSURE \(ticker) \(amount.wireString) left open (\(reason)); counted as a loss by the breaker "
            + "(today \(breaker.realizedToday.wireString), losing streak \(breaker.consecutiveLosses))")
        persistBreaker()
    }

    /// Exposure an arbitrage left (counted as a loss of `old` when its record was written at
    /// `countedAtNanoseconds`) is `new` now that the venue has said how its legs ended: the breaker's day
    /// and losing streak are revised to what a restart would rebuild from the journal's new record.
    public func reviseExposure(from old: Dollars, to new: Dollars, countedAtNanoseconds: Int64, ticker: String, reason: String) {
        breaker.reviseExposure(from: old, to: new, countedAtMs: countedAtNanoseconds / 1_000_000, nowMs: wallNanoseconds() / 1_000_000)
        guard old != new else { return persistBreaker() }
        metrics.count("exposure_revised")
        log("EXPOSURE \(ticker) revised \(old.wireString) → \(new.wireString) (\(reason)); the breaker now counts "
            + "today \(breaker.realizedToday.wireString), losing streak \(breaker.consecutiveLosses)")
        persistBreaker()
    }

    /// `amount` per contract × `count` contracts, in micro-dollars (truncated toward zero).
    private static func perContract(_ amount: Dollars, times count: Contracts) throws(ArithmeticOverflowError) -> Int64 {
        let product = Int128(amount.micros) * Int128(count.hundredths) / Int128(Contracts.scale)
        guard let micros = Int64(exactly: product) else { throw ArithmeticOverflowError(operation: "\(amount) × \(count)") }
        return micros
    }

    /// The breaker's state as last handed to the journal: what a batch of completions writes (read inside
    /// its transaction, so an older state never overwrites a newer one, a halt above all).
    private nonisolated let journaledBreaker = Mutex<BreakerSnapshot?>(nil)

    /// The breaker's state now, noted as the one the journal must hold.
    private func breakerSnapshotForJournal() -> BreakerSnapshot {
        let snapshot = breaker.snapshot
        journaledBreaker.withLock { $0 = snapshot }
        return snapshot
    }

    /// Journal, breaker and counters after an execution. The breaker moves at once; the journal's
    /// transaction runs on its own thread with the other completions of the moment (`completeTogether`),
    /// and a fill's realised P&L reaches the breaker once committed.
    private func record(_ result: ExecutionResult, _ ticket: OrderTicket, _ latencies: [LatencyStage: Duration], inserting: JournalOrder?) async {
        let request = ticket.request
        let sign = request.action.positionSign(on: request.side)
        let now = wallNanoseconds()
        for fill in result.order.fills {
            breaker.recordFill(ticker: request.ticker, eventTicker: ticket.eventTicker, positionChange: Contracts(hundredths: sign * fill.count.hundredths))
        }
        let order = result.order
        metrics.count("orders", [("state", order.state.rawValue)])
        metrics.count("fills", by: order.fills.count)
        if let fault = result.fault {
            metrics.count("faults", [("code", fault.code.description)])
            breaker.halt(reason: "\(fault.code): \(fault.context) — investigate before resuming")
        } else if order.state == .rejected {
            metrics.count("rejections", [("code", order.rejectionCode ?? "UNKNOWN")])
            breaker.recordError(order.rejectionCode ?? "rejected", nowMs: now / 1_000_000)
        } else if order.state == .notPlaced {
            // Nothing reached a venue (no execution path): neither a venue error nor a success.
            metrics.count("not_placed", [("code", order.rejectionCode ?? "UNKNOWN")])
        } else if !order.state.isTerminal, order.isAmbiguous {
            unresolved.insert(order.clientOrderID)
            metrics.count("ambiguous")
            breaker.recordError("ambiguous outcome of \(order.clientOrderID)", nowMs: now / 1_000_000)
        } else {
            breaker.recordSuccess()
        }
        // The order's outcome, its fills, the position and what they realised, and the breaker's durable
        // state, in one transaction.
        let completion = OrderCompletion(result: result, platform: request.platform, ticker: request.ticker, eventTicker: ticket.eventTicker,
                                         action: request.action,
                                         side: request.side, expectedPrice: ticket.expectedPrice, latencies: latencies, nanoseconds: now)
        _ = breakerSnapshotForJournal()
        let recorded: CompletionRecord
        do {
            recorded = try await journal.completeTogether(completion, inserting: inserting) { self.journaledBreaker.withLock { $0 } }
        } catch {
            persistenceFailed("the outcome of order \(order.clientOrderID)", error)
            return
        }
        if let realized = recorded.realized { apply(realized, ticker: request.ticker, now: wallNanoseconds()) }
    }

    /// A result an order realised when reconciliation settled it (from the venue's record, after its
    /// outcome was unknown or the run that sent it stopped): counted like a completion's.
    public func recordReconciled(_ realized: Realization, ticker: String) {
        apply(realized, ticker: ticker, now: wallNanoseconds())
    }

    /// A realised result: the day's P&L and the losing streak move; persisted with the breaker.
    private func apply(_ realized: Realization, ticker: String, now: Int64) {
        breaker.recordResult(realized.pnl, nowMs: now / 1_000_000)
        metrics.count("realized_results", [("sign", realized.pnl.micros < 0 ? "loss" : "profit")])
        log("REALIZED \(ticker) \(realized) (today \(breaker.realizedToday.wireString), losing streak \(breaker.consecutiveLosses))")
        persistBreaker()
    }

    /// Runs a journal write; a failure halts trading loudly and returns `nil`.
    @discardableResult
    private func persist<T>(_ what: String, _ write: (Journal) throws -> T) -> T? {
        do { return try write(journal) } catch {
            persistenceFailed(what, error)
            return nil
        }
    }

    /// A write the journal did not take: trading halts now (in memory, since the journal cannot take the
    /// halt either), the error is logged and `status` shows it until an operator resumes.
    private func persistenceFailed(_ what: String, _ error: any Error) {
        metrics.count("journal_errors")
        let reason = "JOURNAL_WRITE_FAILED: \(what) could not be journaled (\(error)); trading halted until the journal is fixed and resumed"
        if persistenceFailure == nil { persistenceFailure = reason }
        breaker.halt(reason: reason)
        log("ERROR \(reason)")
        try? journal.saveBreaker(breakerSnapshotForJournal(), at: wallNanoseconds())  // the halt, if the journal takes anything at all
    }

    private func persistBreaker() {
        let snapshot = breakerSnapshotForJournal()
        persist("the breaker state") { try $0.saveBreaker(snapshot, at: wallNanoseconds()) }
    }

    // MARK: Settlement

    /// A market's result is known: everything held there is realised at `yesValue` per YES contract
    /// ($1 for "yes", $0 for "no", the settlement value of a scalar market) and the position goes flat.
    @discardableResult
    public func settle(_ ticker: String, yesValue: Dollars, reason: String) -> Realization? {
        let now = wallNanoseconds()
        guard let realized = persist("the settlement of \(ticker)", { try $0.settle(ticker, yesValue: yesValue, at: now, reason: reason) }) ?? nil
        else { return nil }
        breaker.setPosition(ticker: ticker, eventTicker: "", position: .zero)
        log("SETTLED \(ticker) at \(yesValue.wireString) per YES contract (\(reason))")
        apply(realized, ticker: ticker, now: now)
        return realized
    }

    // MARK: Unresolved outcomes

    /// Orders the caller knows are still unresolved (start-up reconciliation could not settle them).
    public func watchUnresolved(_ clientOrderIDs: [String]) { unresolved.formUnion(clientOrderIDs) }

    /// Asks the venue again about orders whose outcome was unknown; returns what became final.
    public func settleUnresolved(with ledger: any VenueLedger, absentWindow: Duration) async -> [(clientOrderID: String, state: OrderState)] {
        guard !unresolved.isEmpty else { return [] }
        let reconciler = Reconciler(journal: journal, ledger: ledger, absentWindow: absentWindow,
                                    realized: { ticker, result in await self.recordReconciled(result, ticker: ticker) })
        let settled = await reconciler.settleUnresolved(unresolved, nowNanoseconds: wallNanoseconds())
        for (id, _) in settled { unresolved.remove(id) }
        if !settled.isEmpty { reloadPositions() }
        return settled
    }

    // MARK: Control

    /// Stops new orders until `resume()`; persisted, so a restart stays halted.
    public func halt(reason: String) {
        breaker.halt(reason: reason)
        persistBreaker()
    }

    /// Lifts a halt, resets the losing streak and acknowledges any recorded position drift. Refused (the
    /// halt stays) while the journal cannot take the acknowledgement.
    @discardableResult
    public func resume() -> Bool {
        do {
            try journal.acknowledgeDrift()
        } catch {
            persistenceFailed("the drift acknowledgement", error)
            return false
        }
        breaker.resume(nowMs: nowMs)
        persistenceFailure = nil
        persistBreaker()
        return persistenceFailure == nil
    }

    public var haltReason: String? { breaker.haltReason }

    /// Cancels every order this run still has working; each order's own execution journals the outcome.
    public func cancelAll() async -> Int { await executor.cancelAll() }

    public func openOrders() async -> [OrderLifecycle] { await executor.openOrders() }

    public func positions() async -> [String: Contracts] { await executor.positions() }

    public func status() async -> ExecutionStatus {
        let state: String = switch breaker.state {
        case .closed: "closed"
        case let .open(untilMs, reason): "open until \(untilMs) ms: \(reason)"
        case .halfOpen: "half-open"
        }
        return ExecutionStatus(mode: mode, breaker: breaker.haltReason == nil ? state : "halted", haltReason: breaker.haltReason,
                               tradesToday: breaker.tradesToday, volumeToday: breaker.volumeToday.wireString,
                               openOrders: await executor.openOrders().count,
                               denials: Dictionary(uniqueKeysWithValues: breaker.denials.map { ($0.key.description, $0.value) }),
                               realizedToday: breaker.realizedToday.wireString, consecutiveLosses: breaker.consecutiveLosses,
                               persistenceFailure: persistenceFailure, unresolvedOrders: unresolved.count)
    }

    /// Each breaker limit's usage now.
    public func limitUsage() -> [LimitUsage] { breaker.usage(nowMs: wallNanoseconds() / 1_000_000) }

    /// Sets the breaker's positions from the journal (after reconciliation adopted the venue's).
    public func reloadPositions() {
        guard let markets = persist("reading positions", { try $0.marketPositions() }) else { return }
        for market in markets {
            breaker.setPosition(ticker: market.ticker, eventTicker: market.eventTicker, position: market.position.position)
        }
    }
}
