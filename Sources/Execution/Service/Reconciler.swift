import KalshiWire
import Markets

/// What a venue says about an order of an earlier run.
public struct VenueOrderRecord: Sendable, Hashable {
    public var venueOrderID: String
    public var status: KalshiOrderStatus
    public var filled: Contracts
    /// Fills priced in the order's outcome.
    public var fills: [ExecutionFill]

    public init(venueOrderID: String, status: KalshiOrderStatus, filled: Contracts, fills: [ExecutionFill]) {
        self.venueOrderID = venueOrderID
        self.status = status
        self.filled = filled
        self.fills = fills
    }
}

/// An order the venue lists for the account, read as a trade: a bid buys YES, an ask buys NO.
public struct VenueListedOrder: Sendable, Hashable {
    public var clientOrderID: String
    public var ticker: String
    public var side: OutcomeSide
    /// Limit of the traded outcome.
    public var limit: Price
    public var initial: Contracts
    public var record: VenueOrderRecord

    public init(clientOrderID: String, ticker: String, side: OutcomeSide, limit: Price, initial: Contracts, record: VenueOrderRecord) {
        self.clientOrderID = clientOrderID
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
    func cancelStale(venueOrderID: String, ticker: String) async throws
    /// The venue's positions, or `nil` when the journal is the only record (paper).
    func venuePositions() async throws -> [String: Contracts]?
}

/// What start-up reconciliation found and did.
public struct ReconciliationReport: Sendable {
    public var resolved: [(clientOrderID: String, state: OrderState)] = []
    /// Orders the venue could not be asked about; they stay open in the journal.
    public var unresolved: [(clientOrderID: String, reason: String)] = []
    public var drift: [(ticker: String, journal: Contracts, venue: Contracts)] = []
    /// Venue orders the journal did not know (placed by hand or by another process), now journaled.
    public var imported: [String] = []
    /// Drift beyond the threshold: trading must not start until an operator acknowledges it (`resume`).
    public var haltReason: String?

    public init() {}

    public var summary: String {
        "reconciled \(resolved.count) order(s), \(unresolved.count) unresolved, \(imported.count) external order(s) imported, \(drift.count) position drift(s)"
            + (haltReason.map { "; HALTED: \($0)" } ?? "")
    }
}

/// Before trading: resolves every order the journal holds as not finished, then compares positions.
public struct Reconciler: Sendable {
    public let journal: Journal
    public let ledger: any VenueLedger
    /// Largest per-market difference tolerated without halting.
    public let driftThreshold: Contracts

    public init(journal: Journal, ledger: any VenueLedger, driftThreshold: Contracts = .zero) {
        self.journal = journal
        self.ledger = ledger
        self.driftThreshold = driftThreshold
    }

    /// Settles orders left with an unknown outcome during a run (ambiguous submits whose lookups failed).
    /// Returns the ones now final.
    public func settleUnresolved(_ clientOrderIDs: Set<String>, nowNanoseconds: Int64) async -> [(clientOrderID: String, state: OrderState)] {
        var settled: [(String, OrderState)] = []
        for row in (try? journal.nonTerminalOrders()) ?? [] where clientOrderIDs.contains(row.clientOrderID) {
            if let state = try? await resolve(row, now: nowNanoseconds), state.isTerminal { settled.append((row.clientOrderID, state)) }
        }
        return settled
    }

    public func run(nowNanoseconds: Int64) async throws -> ReconciliationReport {
        var report = ReconciliationReport()
        for order in try journal.nonTerminalOrders() {
            do {
                let state = try await resolve(order, now: nowNanoseconds)
                report.resolved.append((order.clientOrderID, state))
            } catch {
                report.unresolved.append((order.clientOrderID, "\(error)"))
            }
        }
        let journal = journal
        for listed in try await ledger.listedOrders(excluding: { (try? journal.order($0)) != nil }) {
            try importExternal(listed, now: nowNanoseconds)
            report.imported.append(listed.clientOrderID)
        }
        guard let venue = try await ledger.venuePositions() else { return report }
        let journaled = try journal.positions()
        for ticker in Set(venue.keys).union(journaled.keys).sorted() {
            let mine = journaled[ticker] ?? .zero, theirs = venue[ticker] ?? .zero
            guard mine != theirs else { continue }
            report.drift.append((ticker, mine, theirs))
            try journal.recordDrift(ticker: ticker, journal: mine, venue: theirs, at: nowNanoseconds)
        }
        let worst = report.drift.max { abs($0.journal.hundredths - $0.venue.hundredths) < abs($1.journal.hundredths - $1.venue.hundredths) }
        if let worst, abs(worst.journal.hundredths - worst.venue.hundredths) > driftThreshold.hundredths {
            report.haltReason = "POSITION_DRIFT: ticker=\(worst.ticker) journal=\(worst.journal.wireString) venue=\(worst.venue.wireString) "
                + "threshold=\(driftThreshold.wireString) (\(report.drift.count) market(s)); check, then resume to acknowledge"
        }
        try journal.adoptPositions(venue, at: nowNanoseconds)
        return report
    }

    /// Journals an order this executor did not place (mode `external`) with its fills, so its position
    /// counts; it is never cancelled by reconciliation (it is not ours to cancel).
    private func importExternal(_ listed: VenueListedOrder, now: Int64) throws {
        var row = JournalOrder(clientOrderID: listed.clientOrderID, signalID: nil, ticker: listed.ticker, action: .buy, side: listed.side,
                               limitPrice: listed.limit, requested: listed.initial, mode: "external", createdNanoseconds: now)
        row.venueOrderID = listed.record.venueOrderID
        try journal.insert(row)
        try settle(row, listed.record, now: now, reason: "imported at start-up: an order this executor did not place")
    }

    /// Applies the venue's record to a journaled order: journaled fills, the venue's fills, final state.
    @discardableResult
    private func settle(_ row: JournalOrder, _ record: VenueOrderRecord, now: Int64, reason: String) throws -> OrderState {
        var order = OrderLifecycle(clientOrderID: row.clientOrderID, requested: row.requested)
        try order.markSubmitted()
        try order.acknowledge(venueOrderID: record.venueOrderID)
        // Fills the journal already holds are facts too; the venue's repeat of them is dropped by id.
        for fill in try journal.fills(row.clientOrderID) {
            try order.apply(ExecutionFill(fillID: fill.fillID, count: fill.count, price: fill.price, fee: fill.fee, role: fill.role,
                                          timestampNanoseconds: fill.nanoseconds))
        }
        for fill in record.fills { try order.apply(fill) }
        if order.remaining.isPositive, record.status != .resting { try order.cancel() }
        try complete(order, row, now: now, reason: reason)
        return order.state
    }

    private func resolve(_ row: JournalOrder, now: Int64) async throws -> OrderState {
        guard var record = try await ledger.venueOrder(for: row) else {
            // Never reached the venue: a pending order was journaled and the process stopped before sending.
            var order = OrderLifecycle(clientOrderID: row.clientOrderID, requested: row.requested)
            try order.reject(code: row.state == .pending ? "NOT_SENT" : "NOT_FOUND_ON_VENUE")
            try complete(order, row, now: now, reason: "reconciled at start-up: the venue has no such order")
            return order.state
        }
        if row.mode == "external" { return try settle(row, record, now: now, reason: "external order updated at start-up") }
        if record.status == .resting {
            try await ledger.cancelStale(venueOrderID: record.venueOrderID, ticker: row.ticker)
            record = try await ledger.venueOrder(for: row) ?? record
        }
        return try settle(row, record, now: now, reason: "reconciled at start-up: venue status \(record.status.rawValue)")
    }

    private func complete(_ order: OrderLifecycle, _ row: JournalOrder, now: Int64, reason: String) throws {
        try journal.complete(OrderCompletion(result: ExecutionResult(order, rejection: reason), ticker: row.ticker, eventTicker: "",
                                             positionSign: row.action.positionSign(on: row.side), expectedPrice: nil, latencies: [:], nanoseconds: now))
    }
}
