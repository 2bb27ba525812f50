import Foundation
import GRDB
import Markets

/// Everything an execution changed, written in one transaction: the order row, its event, its fills,
/// the position with its cost basis, what the fills realised, and the day's statistics. Either all of
/// it is on disk or none of it is.
public struct OrderCompletion: Sendable {
    public var result: ExecutionResult
    /// The venue of the order (the position's venue).
    public var platform: Platform
    public var ticker: String
    public var eventTicker: String
    /// The order's direction: every fill is read through it (Kalshi's netting, `MarketPosition`).
    public var action: OrderAction
    public var side: OutcomeSide
    /// The data venue's price the signal expected (hybrid mode), kept beside every fill.
    public var expectedPrice: Price?
    public var latencies: [LatencyStage: Duration]
    public var nanoseconds: Int64

    public init(result: ExecutionResult, platform: Platform = .kalshi, ticker: String, eventTicker: String, action: OrderAction, side: OutcomeSide,
                expectedPrice: Price?, latencies: [LatencyStage: Duration], nanoseconds: Int64) {
        self.result = result
        self.platform = platform
        self.ticker = ticker
        self.eventTicker = eventTicker
        self.action = action
        self.side = side
        self.expectedPrice = expectedPrice
        self.latencies = latencies
        self.nanoseconds = nanoseconds
    }
}

/// What recording a completion changed.
public struct CompletionRecord: Sendable, Hashable {
    /// Fills journaled for the first time (a repeat of a known fill id is not counted twice).
    public var newFills: Int
    /// What the new fills realised in the market, all of them together (one result per order).
    public var realized: Realization?
}

/// One realised result: a closing order or a settlement.
public struct RealizedResult: Sendable, Hashable {
    public var nanoseconds: Int64
    public var ticker: String
    public var pnl: Dollars
}

extension Journal {
    static func microseconds(_ duration: Duration?) -> Int64? {
        duration?.wholeMicroseconds
    }

    /// Records an execution's outcome. Fills already journaled (same fill id) are not counted twice; the
    /// new ones move the market's position and realise P&L (`MarketPosition`).
    ///
    /// `inserting`: the order's row when it is not written yet (an order that ended within
    /// `ExecutionService.rowDelay`), inserted first in the same transaction.
    @discardableResult
    public func complete(_ completion: OrderCompletion, breaker: BreakerSnapshot? = nil, inserting: JournalOrder? = nil) throws -> CompletionRecord {
        let breakerJSON = breaker?.json
        let record = try database.write { db in
            if let breakerJSON { try Self.saveBreaker(db, breakerJSON, at: completion.nanoseconds) }
            return try Self.completeRows(db, completion, inserting: inserting)
        }
        if let inserting { rowWritten(inserting) }
        return record
    }

    /// Records an execution's outcome as `complete` does, on the journal's completion thread: in one
    /// transaction with the completions that arrived while the one before was committing, each in a
    /// savepoint of its own (one that fails is rolled back alone and fails its caller), and the breaker's
    /// state as `breaker` reads it inside that transaction (the latest, never an older one). Returns once
    /// committed.
    ///
    /// The execution service's actor ran each completion's transaction itself: ~100 µs per order at
    /// 1,500 orders/s, during which no other order could be checked or finish.
    public func completeTogether(_ completion: OrderCompletion, inserting: JournalOrder?,
                                 breaker: @escaping @Sendable () -> BreakerSnapshot?) async throws -> CompletionRecord {
        try await withCheckedContinuation { continuation in
            let drain = completionBatch.withLock { batch -> Bool in
                batch.pending.append(PendingCompletion(completion: completion, inserting: inserting, breaker: breaker, continuation: continuation))
                defer { batch.draining = true }
                return !batch.draining
            }
            if drain { completionQueue.async { self.drainCompletions() } }
        }.get()
    }

    /// On `completionQueue`: every waiting completion in one transaction, until none waits.
    private func drainCompletions() {
        while true {
            let batch = completionBatch.withLock { batch -> [PendingCompletion] in
                defer { batch.pending.removeAll(keepingCapacity: true) }
                if batch.pending.isEmpty { batch.draining = false }
                return batch.pending
            }
            guard let last = batch.last else { return }
            var results = [Result<CompletionRecord, any Error>](repeating: .failure(JournalError("not written")), count: batch.count)
            do {
                try database.write { db in
                    for (index, item) in batch.enumerated() {
                        do {
                            var record: CompletionRecord?
                            try db.inSavepoint {
                                record = try Self.completeRows(db, item.completion, inserting: item.inserting)
                                return .commit
                            }
                            if let record { results[index] = .success(record) }
                        } catch {
                            results[index] = .failure(error)
                        }
                    }
                    if let snapshot = last.breaker() { try Self.saveBreaker(db, snapshot.json, at: last.completion.nanoseconds) }
                }
            } catch {
                results = batch.map { _ in .failure(error) }  // nothing of the batch is on disk
            }
            for (item, result) in zip(batch, results) {
                if case .success = result, let inserting = item.inserting { rowWritten(inserting) }
                item.continuation.resume(returning: result)
            }
        }
    }

    /// The order row's update, its event, its fills, position and realised P&L, the day's statistics.
    private static func completeRows(_ db: Database, _ completion: OrderCompletion, inserting: JournalOrder?) throws -> CompletionRecord {
        let order = completion.result.order
        if let inserting { try Self.insertRow(db, inserting, detail: "state=pending") }
        try db.cachedStatement(sql: """
            UPDATE orders SET state = ?, venue_order_id = COALESCE(?, venue_order_id), filled_hundredths = ?,
                error_code = COALESCE(?, error_code), updated_ns = ?, event_ticker = COALESCE(NULLIF(?, ''), event_ticker), expected_price_micros = ?,
                notional_micros = ?, fees_micros = ?, signal_to_submit_us = COALESCE(?, signal_to_submit_us),
                submit_to_ack_us = COALESCE(?, submit_to_ack_us), signal_to_first_fill_us = COALESCE(?, signal_to_first_fill_us),
                signal_to_complete_us = COALESCE(?, signal_to_complete_us)
            WHERE client_order_id = ?
            """).execute(arguments: [order.state.rawValue, order.venueOrderID, order.filled.hundredths, order.rejectionCode,
                             completion.nanoseconds, completion.eventTicker, completion.expectedPrice?.micros,
                             completion.result.notional.micros, completion.result.fees.micros,
                             Self.microseconds(completion.latencies[.signalToSubmitted]),
                             Self.microseconds(completion.latencies[.submittedToAcknowledged]),
                             Self.microseconds(completion.latencies[.signalToFirstFill]),
                             Self.microseconds(completion.latencies[.signalToComplete]), order.clientOrderID])
        let detail = "filled=\(order.filled.wireString)" + (order.venueOrderID.map { " venue_order_id=\($0)" } ?? "")
            + (order.isAmbiguous ? " ambiguous=true" : "") + (completion.result.rejection.map { " reason=\($0)" } ?? "")
        try Self.appendEvent(db, order.clientOrderID, at: completion.nanoseconds, "completed", detail: "state=\(order.state.rawValue) \(detail)")
        let fills = order.fills.map {
            JournalFill(fillID: $0.fillID, clientOrderID: order.clientOrderID, ticker: completion.ticker, count: $0.count, price: $0.price,
                        fee: $0.fee, role: $0.role, nanoseconds: $0.timestampNanoseconds == 0 ? completion.nanoseconds : $0.timestampNanoseconds)
        }
        let new = try Self.insert(db, fills, expectedPrice: completion.expectedPrice)
        var realized: Realization?
        if !new.isEmpty {
            var ledger = try Self.ledger(db, completion.ticker)
            var closed = Contracts.zero, pnl = Dollars.zero
            for fill in new {
                guard let result = try ledger.position.apply(action: completion.action, side: completion.side, count: fill.count,
                                                             price: fill.price, fee: fill.fee) else { continue }
                closed = try closed + result.closed
                pnl = try pnl + result.pnl
            }
            let event = completion.eventTicker.isEmpty ? ledger.eventTicker : completion.eventTicker
            try Self.save(db, completion.ticker, platform: completion.platform, event: event, ledger.position, at: completion.nanoseconds)
            if closed.isPositive {
                let result = Realization(closed: closed, pnl: pnl)
                try Self.recordRealized(db, ticker: completion.ticker, event: event, kind: "close", clientOrderID: order.clientOrderID,
                                        result, at: completion.nanoseconds, detail: "order \(completion.action.rawValue) \(completion.side.rawValue)")
                realized = result
            }
        }
        let day = completion.nanoseconds / 86_400_000_000_000
        try db.cachedStatement(sql: """
            INSERT INTO daily_stats (day, orders, filled_orders, fills, contracts_hundredths, notional_micros, fees_micros)
            VALUES (?, 1, ?, ?, ?, ?, ?)
            ON CONFLICT(day) DO UPDATE SET orders = orders + 1, filled_orders = filled_orders + excluded.filled_orders,
                fills = fills + excluded.fills, contracts_hundredths = contracts_hundredths + excluded.contracts_hundredths,
                notional_micros = notional_micros + excluded.notional_micros, fees_micros = fees_micros + excluded.fees_micros
            """).execute(arguments: [day, order.filled.isPositive ? 1 : 0, new.count, order.filled.hundredths, completion.result.notional.micros,
                             completion.result.fees.micros])
        return CompletionRecord(newFills: new.count, realized: realized)
    }

    // MARK: Positions and realised P&L

    /// A market's position row as the ledger reads it.
    struct LedgerRow {
        var position: MarketPosition
        var eventTicker: String
        var platform: Platform
    }

    static func ledger(_ db: Database, _ ticker: String) throws -> LedgerRow {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM positions WHERE ticker = ?"), arguments: [ticker]) else {
            return LedgerRow(position: MarketPosition(), eventTicker: "", platform: .kalshi)
        }
        return LedgerRow(position: MarketPosition(position: Contracts(hundredths: row["position_hundredths"]), basis: Dollars(micros: row["basis_micros"]),
                                                  realized: Dollars(micros: row["realized_micros"]), fees: Dollars(micros: row["fees_micros"])),
                         eventTicker: row["event_ticker"], platform: Platform(rawValue: row["platform"] ?? "") ?? .kalshi)
    }

    /// Writes a market's position; `platform` `nil` keeps the row's venue.
    static func save(_ db: Database, _ ticker: String, platform: Platform? = nil, event: String, _ position: MarketPosition, at nanoseconds: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO positions (ticker, event_ticker, position_hundredths, basis_micros, realized_micros, fees_micros, updated_ns, platform)
            VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, 'kalshi'))
            ON CONFLICT(ticker) DO UPDATE SET event_ticker = COALESCE(NULLIF(excluded.event_ticker, ''), event_ticker),
                position_hundredths = excluded.position_hundredths, basis_micros = excluded.basis_micros,
                realized_micros = excluded.realized_micros, fees_micros = excluded.fees_micros, updated_ns = excluded.updated_ns,
                platform = COALESCE(?, platform)
            """).execute(arguments: [ticker, event, position.position.hundredths, position.basis.micros, position.realized.micros,
                                     position.fees.micros, nanoseconds, platform?.rawValue, platform?.rawValue])
    }

    static func recordRealized(_ db: Database, ticker: String, event: String, kind: String, clientOrderID: String?, _ result: Realization,
                               at nanoseconds: Int64, detail: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO realized_pnl (ts_ns, day, ticker, event_ticker, kind, client_order_id, closed_hundredths, pnl_micros, detail)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [nanoseconds, nanoseconds / 86_400_000_000_000, ticker, event, kind, clientOrderID,
                                     result.closed.hundredths, result.pnl.micros, detail])
    }

    /// Settles whatever is held in `ticker` at `yesValue` per YES contract (a market's result): the position
    /// goes flat and the rest is realised. Returns `nil` when nothing was held (a repeat is harmless).
    public func settle(_ ticker: String, yesValue: Dollars, at nanoseconds: Int64, reason: String) throws -> Realization? {
        try database.write { db in
            var ledger = try Self.ledger(db, ticker)
            guard let result = try ledger.position.settle(yesValue: yesValue) else { return nil }
            try Self.save(db, ticker, event: ledger.eventTicker, ledger.position, at: nanoseconds)
            try Self.recordRealized(db, ticker: ticker, event: ledger.eventTicker, kind: "settlement", clientOrderID: nil, result,
                                    at: nanoseconds, detail: reason)
            return result
        }
    }

    /// Realised results (closing orders and settlements) from `nanoseconds` on, oldest first: what the
    /// breaker's daily loss and losing streak are rebuilt from at start-up.
    public func realizedResults(since nanoseconds: Int64) throws -> [RealizedResult] {
        try database.read { db in
            // Exposure an arbitrage left open counts as a loss from the moment it was left (as the breaker counted it).
            try Row.fetchAll(db, sql: """
                SELECT ts_ns, ticker, pnl_micros FROM (
                    SELECT id AS n, 0 AS k, ts_ns, ticker, pnl_micros FROM realized_pnl WHERE ts_ns >= ?
                    UNION ALL SELECT 0 AS n, 1 AS k, decided_ns AS ts_ns, pair_id AS ticker, -exposure_micros AS pnl_micros FROM arbs
                        WHERE exposure_micros > 0 AND decided_ns >= ?)
                ORDER BY ts_ns, k, n
                """, arguments: [nanoseconds, nanoseconds]).map {
                RealizedResult(nanoseconds: $0["ts_ns"], ticker: $0["ticker"], pnl: Dollars(micros: $0["pnl_micros"]))
            }
        }
    }

    /// Every market the journal has a position row for, with its ledger (flat ones included: they carry
    /// realised P&L).
    public func marketPositions() throws -> [(ticker: String, eventTicker: String, platform: Platform, position: MarketPosition)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT ticker FROM positions ORDER BY ticker").map { row in
                let ticker: String = row["ticker"]
                let ledger = try Self.ledger(db, ticker)
                return (ticker: ticker, eventTicker: ledger.eventTicker, platform: ledger.platform, position: ledger.position)
            }
        }
    }

    // MARK: Drift

    /// Records a difference between the journal's and the venue's position in a market.
    public func recordDrift(ticker: String, journal: Contracts, venue: Contracts, at nanoseconds: Int64) throws {
        try database.write { db in
            try db.execute(sql: "INSERT INTO position_drift (ts_ns, ticker, journal_hundredths, venue_hundredths) VALUES (?, ?, ?, ?)",
                           arguments: [nanoseconds, ticker, journal.hundredths, venue.hundredths])
        }
    }

    /// Drift not yet acknowledged by an operator.
    public func unacknowledgedDrift() throws -> [(ticker: String, journal: Contracts, venue: Contracts)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT ticker, journal_hundredths, venue_hundredths FROM position_drift WHERE acknowledged = 0 ORDER BY id").map {
                (ticker: $0["ticker"], journal: Contracts(hundredths: $0["journal_hundredths"]), venue: Contracts(hundredths: $0["venue_hundredths"]))
            }
        }
    }

    public func acknowledgeDrift() throws {
        try database.write { db in try db.execute(sql: "UPDATE position_drift SET acknowledged = 1 WHERE acknowledged = 0") }
    }

    /// Takes the venue's positions (after reconciliation): every market the journal or the venue holds is
    /// set to the venue's count, keeping realised P&L and (on an unchanged side) the average cost.
    /// `eventOf` names the event of a market the journal did not know. Returns the markets whose cost
    /// basis is unknown (a side the journal never held).
    @discardableResult
    public func adoptPositions(_ venue: [String: Contracts], at nanoseconds: Int64, eventOf: [String: String] = [:],
                               platforms: Set<Platform> = [.kalshi]) throws -> [String] {
        try database.write { db in
            let held = try String.fetchAll(db, sql: "SELECT ticker FROM positions WHERE position_hundredths != 0 AND platform IN (\(Self.list(platforms)))")
            var unknownBasis: [String] = []
            for ticker in Set(held).union(venue.keys).sorted() {
                var ledger = try Self.ledger(db, ticker)
                let target = venue[ticker] ?? .zero
                guard ledger.position.position != target else { continue }
                if try !ledger.position.adopt(target) { unknownBasis.append(ticker) }
                let event = ledger.eventTicker.isEmpty ? eventOf[ticker] ?? "" : ledger.eventTicker
                // A market the journal did not hold belongs to the one venue that reported it.
                let platform = held.contains(ticker) ? nil : platforms.count == 1 ? platforms.first : nil
                try Self.save(db, ticker, platform: platform, event: event, ledger.position, at: nanoseconds)
            }
            return unknownBasis
        }
    }

    /// Fills in the event of markets whose position row does not name one (rows adopted by an earlier
    /// version carried an empty event).
    public func setMissingEvents(_ events: [String: String]) throws {
        try database.write { db in
            for (ticker, event) in events where !event.isEmpty {
                try db.execute(sql: "UPDATE positions SET event_ticker = ? WHERE ticker = ? AND event_ticker = ''", arguments: [event, ticker])
            }
        }
    }

    /// `'kalshi','polymarket'` for an `IN (…)` clause (platform names are fixed words, never user input).
    static func list(_ platforms: Set<Platform>) -> String {
        platforms.isEmpty ? "''" : platforms.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
    }
}
