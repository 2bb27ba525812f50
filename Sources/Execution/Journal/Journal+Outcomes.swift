import Foundation
import GRDB
import Markets

/// Everything an execution changed, written in one transaction: the order row, its event, its fills,
/// the position and the day's statistics. Either all of it is on disk or none of it is.
public struct OrderCompletion: Sendable {
    public var result: ExecutionResult
    public var ticker: String
    public var eventTicker: String
    /// +1 when a fill adds YES contracts (buy YES, sell NO), −1 otherwise.
    public var positionSign: Int64
    /// The data venue's price the signal expected (hybrid mode), kept beside every fill.
    public var expectedPrice: Price?
    public var latencies: [LatencyStage: Duration]
    public var nanoseconds: Int64

    public init(result: ExecutionResult, ticker: String, eventTicker: String, positionSign: Int64, expectedPrice: Price?,
                latencies: [LatencyStage: Duration], nanoseconds: Int64) {
        self.result = result
        self.ticker = ticker
        self.eventTicker = eventTicker
        self.positionSign = positionSign
        self.expectedPrice = expectedPrice
        self.latencies = latencies
        self.nanoseconds = nanoseconds
    }
}

extension Journal {
    static func microseconds(_ duration: Duration?) -> Int64? {
        duration.map { $0.components.seconds * 1_000_000 + $0.components.attoseconds / 1_000_000_000_000 }
    }

    /// Records an execution's outcome. Fills already journaled (same fill id) are not counted twice.
    /// Returns how many fills were new.
    @discardableResult
    public func complete(_ completion: OrderCompletion, breaker: BreakerSnapshot? = nil) throws -> Int {
        let order = completion.result.order
        let breakerJSON = try breaker.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try database.write { db in
            if let breakerJSON { try Self.saveBreaker(db, breakerJSON, at: completion.nanoseconds) }
            try db.execute(sql: """
                UPDATE orders SET state = ?, venue_order_id = COALESCE(?, venue_order_id), filled_hundredths = ?,
                    error_code = COALESCE(?, error_code), updated_ns = ?, event_ticker = COALESCE(NULLIF(?, ''), event_ticker), expected_price_micros = ?,
                    notional_micros = ?, fees_micros = ?, signal_to_submit_us = COALESCE(?, signal_to_submit_us),
                    submit_to_ack_us = COALESCE(?, submit_to_ack_us), signal_to_first_fill_us = COALESCE(?, signal_to_first_fill_us),
                    signal_to_complete_us = COALESCE(?, signal_to_complete_us)
                WHERE client_order_id = ?
                """, arguments: [order.state.rawValue, order.venueOrderID, order.filled.hundredths, order.rejectionCode,
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
            let inserted = new.count
            let positionChange = new.reduce(Int64(0)) { $0 + completion.positionSign * $1.count.hundredths }
            if positionChange != 0 {
                try db.execute(sql: """
                    INSERT INTO positions (ticker, event_ticker, position_hundredths, updated_ns) VALUES (?, ?, ?, ?)
                    ON CONFLICT(ticker) DO UPDATE SET position_hundredths = position_hundredths + excluded.position_hundredths,
                        updated_ns = excluded.updated_ns
                    """, arguments: [completion.ticker, completion.eventTicker, positionChange, completion.nanoseconds])
            }
            let day = completion.nanoseconds / 86_400_000_000_000
            try db.execute(sql: """
                INSERT INTO daily_stats (day, orders, filled_orders, fills, contracts_hundredths, notional_micros, fees_micros)
                VALUES (?, 1, ?, ?, ?, ?, ?)
                ON CONFLICT(day) DO UPDATE SET orders = orders + 1, filled_orders = filled_orders + excluded.filled_orders,
                    fills = fills + excluded.fills, contracts_hundredths = contracts_hundredths + excluded.contracts_hundredths,
                    notional_micros = notional_micros + excluded.notional_micros, fees_micros = fees_micros + excluded.fees_micros
                """, arguments: [day, order.filled.isPositive ? 1 : 0, inserted, order.filled.hundredths, completion.result.notional.micros,
                                 completion.result.fees.micros])
            return inserted
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

    /// Replaces every journaled position with the venue's (after reconciliation).
    public func adoptPositions(_ positions: [String: Contracts], at nanoseconds: Int64) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM positions")
            for (ticker, position) in positions where position != .zero {
                try db.execute(sql: "INSERT INTO positions (ticker, event_ticker, position_hundredths, updated_ns) VALUES (?, '', ?, ?)",
                               arguments: [ticker, position.hundredths, nanoseconds])
            }
        }
    }

    // MARK: Signals

    /// Records a signal as received (`status`: traded, blocked, skipped, rejected…). Idempotent by id.
    public func recordSignal(id: String, receivedNanoseconds: Int64, payload: String, shouldTrade: Bool, status: String) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO signals (signal_id, received_ns, payload, should_trade, status) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(signal_id) DO UPDATE SET status = excluded.status
                """, arguments: [id, receivedNanoseconds, payload, shouldTrade, status])
        }
    }

    public func signalCount() throws -> Int {
        try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signals") ?? 0 }
    }
}
