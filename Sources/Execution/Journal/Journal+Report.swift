import Foundation
import GRDB
import Markets

/// What `run-executor report` prints: P&L, orders with their fills, fill rate, latency percentiles.
public struct JournalReport: Sendable, Codable {
    public struct FillLine: Sendable, Codable {
        public var fillID: String
        public var contracts: String
        public var price: String
        public var fee: String
        public var role: String
        /// The data venue's price the signal expected (hybrid divergence), when recorded.
        public var expectedPrice: String?
    }

    public struct OrderLine: Sendable, Codable {
        public var clientOrderID: String
        public var signalID: String?
        public var ticker: String
        public var action: String
        public var side: String
        public var limit: String
        public var requested: String
        public var filled: String
        public var state: String
        public var mode: String
        public var errorCode: String?
        public var fills: [FillLine]
    }

    public struct Latency: Sendable, Codable {
        public var stage: String
        public var count: Int
        public var p50Microseconds: Int64
        public var p90Microseconds: Int64
        public var p99Microseconds: Int64
    }

    public var orders: [OrderLine]
    public var orderCount: Int
    public var filledOrderCount: Int
    /// Orders with at least one fill, over orders that reached the venue.
    public var fillRate: Double
    /// Proceeds of sells minus cost of buys, before fees (negative while positions are held).
    public var cashFlow: String
    public var fees: String
    /// Mean (fill − expected) over fills with an expected price: the demo-vs-production divergence.
    public var meanDivergence: String?
    public var positions: [String: String]
    public var denials: [String: Int]
    public var latencies: [Latency]
}

extension Journal {
    /// Builds the report from everything journaled (the most recent `limit` orders are listed).
    public func report(limit: Int = 200) throws -> JournalReport {
        try database.read { db in
            var fillsByOrder: [String: [JournalReport.FillLine]] = [:]
            var divergence: (sum: Int64, count: Int64) = (0, 0)
            for row in try Row.fetchAll(db, sql: "SELECT * FROM fills ORDER BY ts_ns, fill_id") {
                let expected: Int64? = row["expected_price_micros"]
                let price: Int64 = row["price_micros"]
                if let expected { divergence = (divergence.sum + price - expected, divergence.count + 1) }
                fillsByOrder[row["client_order_id"], default: []].append(JournalReport.FillLine(
                    fillID: row["fill_id"], contracts: Contracts(hundredths: row["count_hundredths"]).wireString,
                    price: Dollars(micros: price).wireString, fee: Dollars(micros: row["fee_micros"]).wireString, role: row["role"],
                    expectedPrice: expected.map { Dollars(micros: $0).wireString }))
            }
            var orders: [JournalReport.OrderLine] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM orders ORDER BY created_ns DESC LIMIT ?", arguments: [limit]) {
                let id: String = row["client_order_id"]
                orders.append(JournalReport.OrderLine(
                    clientOrderID: id, signalID: row["signal_id"], ticker: row["ticker"], action: row["action"], side: row["side"],
                    limit: Dollars(micros: row["limit_price_micros"]).wireString, requested: Contracts(hundredths: row["requested_hundredths"]).wireString,
                    filled: Contracts(hundredths: row["filled_hundredths"]).wireString, state: row["state"], mode: row["mode"],
                    errorCode: row["error_code"], fills: fillsByOrder[id] ?? []))
            }
            let totals = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, SUM(CASE WHEN filled_hundredths > 0 THEN 1 ELSE 0 END) AS filled,
                    SUM(CASE WHEN state NOT IN ('pending') AND (error_code IS NULL OR error_code NOT IN ('NOT_SENT')) THEN 1 ELSE 0 END) AS sent,
                    SUM(CASE WHEN action = 'sell' THEN notional_micros ELSE -notional_micros END) AS cash, SUM(fees_micros) AS fees
                FROM orders
                """)
            let count: Int = totals?["n"] ?? 0
            let filled: Int = totals?["filled"] ?? 0
            let sent: Int = totals?["sent"] ?? 0
            var latencies: [JournalReport.Latency] = []
            for (stage, column) in [(LatencyStage.signalToSubmitted, "signal_to_submit_us"), (.submittedToAcknowledged, "submit_to_ack_us"),
                                    (.signalToFirstFill, "signal_to_first_fill_us"), (.signalToComplete, "signal_to_complete_us")] {
                let values = try Int64.fetchAll(db, sql: "SELECT \(column) FROM orders WHERE \(column) IS NOT NULL ORDER BY \(column)")
                guard !values.isEmpty else { continue }
                func percentile(_ p: Int) -> Int64 { values[min(values.count - 1, (values.count * p + 99) / 100 - 1)] }
                latencies.append(JournalReport.Latency(stage: stage.rawValue, count: values.count, p50Microseconds: percentile(50),
                                                       p90Microseconds: percentile(90), p99Microseconds: percentile(99)))
            }
            var positions: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT ticker, position_hundredths FROM positions WHERE position_hundredths != 0") {
                positions[row["ticker"]] = Contracts(hundredths: row["position_hundredths"]).wireString
            }
            var denials: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, COUNT(*) AS n FROM denials GROUP BY code") { denials[row["code"]] = row["n"] }
            return JournalReport(
                orders: orders, orderCount: count, filledOrderCount: filled, fillRate: sent == 0 ? 0 : Double(filled) / Double(sent),
                cashFlow: Dollars(micros: totals?["cash"] ?? 0).wireString, fees: Dollars(micros: totals?["fees"] ?? 0).wireString,
                meanDivergence: divergence.count == 0 ? nil : Dollars(micros: divergence.sum / divergence.count).wireString,
                positions: positions, denials: denials, latencies: latencies)
        }
    }
}
