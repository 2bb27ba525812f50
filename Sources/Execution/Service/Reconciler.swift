import Markets

/// Where a venue says an order stands (each adapter maps its own statuses onto these).
public enum VenueOrderStatus: String, Sendable, Hashable, CaseIterable {
    /// Working on the book.
    case resting
    /// Finished without filling everything (cancelled, killed, expired).
    case canceled
    /// Fully filled.
    case executed
    /// Accepted but not yet working or matched (a venue still processing it).
    case pending
}

/// What a venue says about an order of an earlier run.
public struct VenueOrderRecord: Sendable, Hashable {
    public var venueOrderID: String
    public var status: VenueOrderStatus
    public var filled: Contracts
    /// Fills priced in the order's outcome.
    public var fills: [ExecutionFill]

    public init(venueOrderID: String, status: VenueOrderStatus, filled: Contracts, fills: [ExecutionFill]) {
        self.venueOrderID = venueOrderID
        self.status = status
        self.filled = filled
        self.fills = fills
    }
}

/// An order the venue lists for the account, read as a trade: a bid buys YES, an ask buys NO.
public struct VenueListedOrder: Sendable, Hashable {
    public var clientOrderID: String
    public var platform: Platform
    public var ticker: String
    public var side: OutcomeSide
    /// Limit of the traded outcome.
    public var limit: Price
    public var initial: Contracts
    public var record: VenueOrderRecord

    public init(clientOrderID: String, platform: Platform = .kalshi, ticker: String, side: OutcomeSide, limit: Price, initial: Contracts,
                record: VenueOrderRecord) {
        self.clientOrderID = clientOrderID
        self.platform = platform
        self.ticker = ticker
        self.side = side
        self.limit = limit
        self.initial = initial
        self.record = record
    }
}

/// The venue side of start-up reconciliation.
public protocol VenueLedger: Sendable {
    /// The account's orders on the venue that may matter now (every resting one and those of the last
    /// day) that `isKnown` does not recognise, with their fills.
    func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder]
    /// The venue's record of a journaled order (by venue id when known, else by `client_order_id`), or
    /// `nil` when the venue definitively has no such order.
    func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord?
    /// Cancels an order an earlier run left resting; its signal is stale.
    func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws
    /// The venue's positions, or `nil` when the journal is the only record (paper).
    func venuePositions() async throws -> [String: Contracts]?
    /// The venues whose positions `venuePositions` reports (none for paper): only those are compared.
    var positionPlatforms: Set<Platform> { get }
    /// Whether "no such order" is final at once for `order`. A venue may not list an order it has just
    /// accepted, so there absence becomes definitive only when it persists (`Reconciler.absentWindow`);
    /// the paper venue lives in this process and knows at once.
    func absenceIsDefinitive(for order: JournalOrder) -> Bool
}

extension VenueLedger {
    public func absenceIsDefinitive(for order: JournalOrder) -> Bool { false }
}

/// What start-up reconciliation found and did.
public struct ReconciliationReport: Sendable {
    public var resolved: [(clientOrderID: String, state: OrderState)] = []
    /// Orders the venue could not be asked about; they stay open in the journal.
    public var unresolved: [(clientOrderID: String, reason: String)] = []
    public var drift: [(ticker: String, journal: Contracts, venue: Contracts)] = []
    /// Venue orders the journal did not know (placed by hand or by another process), now journaled.
    public var imported: [String] = []
    /// Markets whose venue position was adopted on a side the journal never held (cost basis unknown).
    public var unknownBasis: [String] = []
    /// Drift beyond the threshold: trading must not start until an operator acknowledges it (`resume`).
    public var haltReason: String?

    public init() {}

    public var summary: String {
        "reconciled \(resolved.count) order(s), \(unresolved.count) unresolved, \(imported.count) external order(s) imported, \(drift.count) position drift(s)"
            + (haltReason.map { "; HALTED: \($0)" } ?? "")
    }
}

/// Before trading: resolves every order the journal holds as not finished, then compares positions.
///
/// An order whose submit was ambiguous is never guessed: it is found on the venue (and its fills
/// imported), or the venue keeps saying it has no such order for `absentWindow` after it was created,
/// and only then is it final as `not_placed` (distinct from a venue rejection). Until then it stays open.
public struct Reconciler: Sendable {
    public let journal: Journal
    public let ledger: any VenueLedger
    /// Largest per-market difference tolerated without halting.
    public let driftThreshold: Contracts
    /// How long after its creation an order the venue does not know must still be unknown to it before
    /// it is final as `not_placed`.
    public let absentWindow: Duration
    /// The event of a market (for positions adopted from the venue), when the venue's listing knows it.
    public let eventOf: @Sendable (String) async -> String?
    /// Settles the journal's positions in markets that have a result, before positions are compared: the
    /// venue no longer lists a settled position.
    public let settlePositions: @Sendable () async -> Void
    /// Told each result an order settled here realises (a fill closing a position), with its market: the
    /// breaker's loss limits count it as they count a completion's.
    public let realized: @Sendable (String, Realization) async -> Void

    /// Orders asked about on the venue at once (the venue host's order lanes).
    public let venueConcurrency: Int

    public static let defaultAbsentWindow: Duration = .seconds(60)

    public init(journal: Journal, ledger: any VenueLedger, driftThreshold: Contracts = .zero, absentWindow: Duration = Reconciler.defaultAbsentWindow,
                eventOf: @escaping @Sendable (String) async -> String? = { _ in nil },
                settlePositions: @escaping @Sendable () async -> Void = {},
                realized: @escaping @Sendable (String, Realization) async -> Void = { _, _ in }, venueConcurrency: Int = 8) {
        self.venueConcurrency = venueConcurrency
        self.settlePositions = settlePositions
        self.realized = realized
        self.journal = journal
        self.ledger = ledger
        self.driftThreshold = driftThreshold
        self.absentWindow = absentWindow
        self.eventOf = eventOf
    }

    /// Settles orders left with an unknown outcome during a run (ambiguous submits whose lookups failed or
    /// found nothing yet). Returns the ones now final.
    public func settleUnresolved(_ clientOrderIDs: Set<String>, nowNanoseconds: Int64) async -> [(clientOrderID: String, state: OrderState)] {
        var settled: [(String, OrderState)] = []
        let rows = ((try? journal.nonTerminalOrders()) ?? []).filter { clientOrderIDs.contains($0.clientOrderID) }
        for (row, answer) in zip(rows, await ask(rows)) {
            if let state = try? await resolve(row, answer, now: nowNanoseconds), state.isTerminal { settled.append((row.clientOrderID, state)) }
        }
        // Orders that became terminal some other way (a late completion) are no longer unresolved either.
        for id in clientOrderIDs where !settled.contains(where: { $0.0 == id }) {
            if let row = try? journal.order(id), row.state.isTerminal { settled.append((id, row.state)) }
        }
        return settled
    }

    public func run(nowNanoseconds: Int64) async throws -> ReconciliationReport {
        var report = ReconciliationReport()
        let orders = try journal.nonTerminalOrders()
        for (order, answer) in zip(orders, await ask(orders)) {
            do {
                let state = try await resolve(order, answer, now: nowNanoseconds)
                if state.isTerminal || state == .resting {
                    report.resolved.append((order.clientOrderID, state))
                } else {
                    report.unresolved.append((order.clientOrderID, "the venue's record of it is not final yet (no such order, still processing, "
                                                + "or fills it counts not shown); asked again until it is, or until it has been absent for "
                                                + "\(absentWindow) since the order was made"))
                }
            } catch {
                report.unresolved.append((order.clientOrderID, "\(error)"))
            }
        }
        let journal = journal
        for listed in try await ledger.listedOrders(excluding: { (try? journal.order($0)) != nil }) {
            try await importExternal(listed, now: nowNanoseconds)
            report.imported.append(listed.clientOrderID)
        }
        await settlePositions()
        let covered = ledger.positionPlatforms
        guard !covered.isEmpty, let venue = try await ledger.venuePositions() else { return report }
        let journaled = try journal.positions(platforms: covered)
        for ticker in Set(venue.keys).union(journaled.keys).sorted() {
            let mine = journaled[ticker] ?? .zero, theirs = venue[ticker] ?? .zero
            guard mine != theirs else { continue }
            report.drift.append((ticker, mine, theirs))
            try journal.recordDrift(ticker: ticker, journal: mine, venue: theirs, at: nowNanoseconds)
        }
        // A venue's count can be anything: the difference saturates instead of trapping.
        func gap(_ drift: (ticker: String, journal: Contracts, venue: Contracts)) -> Contracts {
            (try? drift.journal - drift.venue)?.magnitude ?? Contracts(hundredths: .max)
        }
        let worst = report.drift.max { gap($0) < gap($1) }
        if let worst, gap(worst) > driftThreshold {
            report.haltReason = "POSITION_DRIFT: ticker=\(worst.ticker) journal=\(worst.journal.wireString) venue=\(worst.venue.wireString) "
                + "threshold=\(driftThreshold.wireString) (\(report.drift.count) market(s)); check, then resume to acknowledge"
        }
        var events: [String: String] = [:]
        for ticker in Set(venue.keys).union(journaled.keys) where venue[ticker] != journaled[ticker] {
            if let event = await eventOf(ticker) { events[ticker] = event }
        }
        report.unknownBasis = try journal.adoptPositions(venue, at: nowNanoseconds, eventOf: events, platforms: covered)
        return report
    }

    /// Journals an order this executor did not place (mode `external`) with its fills, so its position
    /// counts; it is never cancelled by reconciliation (it is not ours to cancel).
    private func importExternal(_ listed: VenueListedOrder, now: Int64) async throws {
        var row = JournalOrder(clientOrderID: listed.clientOrderID, signalID: nil, platform: listed.platform, ticker: listed.ticker, action: .buy,
                               side: listed.side,
                               limitPrice: listed.limit, requested: listed.initial, mode: "external", createdNanoseconds: now)
        row.venueOrderID = listed.record.venueOrderID
        try journal.insert(row)
        try await settle(row, listed.record, now: now, reason: "imported at start-up: an order this executor did not place")
    }

    /// Applies the venue's record to a journaled order: journaled fills, the venue's fills, final state.
    @discardableResult
    private func settle(_ row: JournalOrder, _ record: VenueOrderRecord, now: Int64, reason: String) async throws -> OrderState {
        var order = OrderLifecycle(clientOrderID: row.clientOrderID, requested: row.requested)
        try order.markSubmitted()
        try order.acknowledge(venueOrderID: record.venueOrderID)
        // Fills the journal already holds are facts too; the venue's repeat of them is dropped by id.
        for fill in try journal.fills(row.clientOrderID) {
            try order.apply(ExecutionFill(fillID: fill.fillID, count: fill.count, price: fill.price, fee: fill.fee, role: fill.role,
                                          timestampNanoseconds: fill.nanoseconds))
        }
        for fill in record.fills { try order.apply(fill) }
        // The venue counts more filled than its fill records show (they lag its matching engine): the
        // order is not settled from a partial record; it stays open and is asked about again.
        if order.filled < record.filled, !order.state.isTerminal { return row.state }
        if order.remaining.isPositive, record.status != .resting { try order.cancel() }
        try await complete(order, row, now: now, reason: reason)
        return order.state
    }

    /// The venue's word on each order (an order an earlier run left resting is cancelled first: its signal
    /// is stale), asked about `venueConcurrency` orders at a time: a restart after a crash with many orders
    /// resting is not one round trip after another. The answers are applied to the journal afterwards, one
    /// by one in the journal's order, so results reach the loss limits in the order they always did.
    private func ask(_ rows: [JournalOrder]) async -> [Result<VenueOrderRecord?, any Error>] {
        let ledger = ledger
        @Sendable func answer(_ row: JournalOrder) async -> Result<VenueOrderRecord?, any Error> {
            do {
                guard var record = try await ledger.venueOrder(for: row) else { return .success(nil) }
                if row.mode != "external", record.status == .resting {
                    try await ledger.cancelStale(row, venueOrderID: record.venueOrderID)
                    record = try await ledger.venueOrder(for: row) ?? record
                }
                return .success(record)
            } catch {
                return .failure(error)
            }
        }
        var answers = [Result<VenueOrderRecord?, any Error>?](repeating: nil, count: rows.count)
        await withBoundedConcurrency(Array(rows.indices), width: venueConcurrency, perform: { index in (index, await answer(rows[index])) }) { index, result in
            answers[index] = result
            return []
        }
        return answers.map { $0 ?? .success(nil) }
    }

    private func resolve(_ row: JournalOrder, _ answer: Result<VenueOrderRecord?, any Error>, now: Int64) async throws -> OrderState {
        guard let record = try answer.get() else {
            // The venue does not know it. Final only once that is evidence: at once where the venue is this
            // process (paper), else when the order is older than the absent window and still unknown.
            let age = Duration.nanoseconds(max(0, now - row.createdNanoseconds))
            let definitive = ledger.absenceIsDefinitive(for: row)
            guard definitive || age >= absentWindow else { return row.state }
            var order = OrderLifecycle(clientOrderID: row.clientOrderID, requested: row.requested)
            try order.markNotPlaced(code: row.state == .pending ? "NOT_SENT" : "NOT_FOUND_ON_VENUE")
            try await complete(order, row, now: now, reason: definitive ? "reconciled: the venue has no such order"
                            : "reconciled: the venue still has no such order \(age.formatted()) after it was made")
            return order.state
        }
        // Accepted but not settled yet (a venue still processing it, or a trade not final): nothing is
        // concluded; the order stays open and is asked about again.
        if record.status == .pending { return row.state }
        if row.mode == "external" { return try await settle(row, record, now: now, reason: "external order updated at start-up") }
        return try await settle(row, record, now: now, reason: "reconciled at start-up: venue status \(record.status.rawValue)")
    }

    private func complete(_ order: OrderLifecycle, _ row: JournalOrder, now: Int64, reason: String) async throws {
        let event = row.eventTicker ?? ""
        let record = try journal.complete(OrderCompletion(result: ExecutionResult(order, rejection: reason), platform: row.platform, ticker: row.ticker,
                                                          eventTicker: event.isEmpty ? await eventOf(row.ticker) ?? "" : event,
                                                          action: row.action, side: row.side, expectedPrice: nil, latencies: [:], nanoseconds: now))
        if let result = record.realized { await realized(row.ticker, result) }
    }
}
