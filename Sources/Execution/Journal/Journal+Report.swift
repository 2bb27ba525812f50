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
        /// When it was journaled (ISO 8601, UTC).
        public var time: String?
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

    /// One market's P&L: realised (fees included), the position held and its cost, and the unrealised
    /// P&L of that position marked to a price, with where the price came from.
    public struct MarketPnL: Sendable, Codable {
        public var ticker: String
        public var eventTicker: String
        /// Signed contracts (+ YES, − NO).
        public var position: String
        /// `yes` or `no`; `nil` when flat.
        public var side: String?
        /// Cost of the position held, opening fees included.
        public var basis: String
        public var averageCost: String?
        public var realizedPnl: String
        /// Every fee paid in this market (already counted in realised P&L and in the basis).
        public var fees: String
        /// The held side's price used to mark the position (its best bid: what selling would get).
        public var mark: String?
        /// `book` (the data venue's book, read now), `last_known_book` (journaled by the run) or
        /// `last_fill` (the market's most recent fill); `nil` when there is nothing to mark.
        public var markSource: String?
        /// When the mark was taken (ISO 8601, UTC).
        public var markTime: String?
        /// Mark × contracts − basis, before exit fees; `nil` when flat or unmarked.
        public var unrealizedPnl: String?
    }

    /// One UTC day.
    public struct DayPnL: Sendable, Codable {
        public var day: String
        public var realizedPnl: String
        public var fees: String
        public var orders: Int
        public var filledOrders: Int
        public var contracts: String
    }

    public struct PnL: Sendable, Codable {
        /// Everything realised (closing fills and settlements), fees included.
        public var realizedPnl: String
        /// Open positions marked as `markets` say; `nil` when an open position has no mark at all.
        public var unrealizedPnl: String?
        public var totalPnl: String?
        /// Every fee paid.
        public var fees: String
        public var markets: [MarketPnL]
        public var days: [DayPnL]
    }

    /// One arbitrage: its legs, what came of it, what it made.
    public struct ArbLine: Sendable, Codable {
        public var arbID: String
        public var pairID: String
        public var description: String
        /// `filled`, `mismatch_closed`, `exposure_left`, `aborted` or `denied`.
        public var outcome: String
        public var reason: String
        public var legs: [JournalArb.Leg]
        public var closes: [JournalArb.Leg]
        public var realizedPnl: String
        public var exposure: String
        /// When it was decided (ISO 8601, UTC).
        public var time: String
    }

    public var pnl: PnL
    /// The most recent arbitrages, newest first.
    public var arbs: [ArbLine]
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

/// Best bids of a market at a moment: what a position there is marked to.
public struct BookMark: Sendable, Hashable {
    public var yesBid: Price?
    public var noBid: Price?
    public var nanoseconds: Int64
    public init(yesBid: Price?, noBid: Price?, nanoseconds: Int64) {
        self.yesBid = yesBid
        self.noBid = noBid
        self.nanoseconds = nanoseconds
    }
    func bid(_ side: OutcomeSide) -> Price? { side == .yes ? yesBid : noBid }
}

extension Journal {
    /// A market's best bids as a run saw them (the last known price of a position).
    public struct Mark: Sendable {
        public var ticker: String
        public var yesBid: Price?
        public var noBid: Price?
        public var nanoseconds: Int64
        public init(ticker: String, yesBid: Price?, noBid: Price?, nanoseconds: Int64) {
            self.ticker = ticker
            self.yesBid = yesBid
            self.noBid = noBid
            self.nanoseconds = nanoseconds
        }
    }

    public func recordMarks(_ marks: [Mark]) throws {
        guard !marks.isEmpty else { return }
        try database.write { db in
            for mark in marks {
                try db.execute(sql: """
                    INSERT INTO marks (ticker, yes_bid_micros, no_bid_micros, ts_ns) VALUES (?, ?, ?, ?)
                    ON CONFLICT(ticker) DO UPDATE SET yes_bid_micros = excluded.yes_bid_micros, no_bid_micros = excluded.no_bid_micros,
                        ts_ns = excluded.ts_ns
                    """, arguments: [mark.ticker, mark.yesBid?.micros, mark.noBid?.micros, mark.nanoseconds])
            }
        }
    }

    /// The last book a run recorded for `ticker`, if any.
    public func mark(_ ticker: String) throws -> Mark? {
        try database.read { db in try Self.mark(db, ticker) }
    }

    static func mark(_ db: Database, _ ticker: String) throws -> Mark? {
        try Row.fetchOne(db, sql: "SELECT * FROM marks WHERE ticker = ?", arguments: [ticker]).map {
            Mark(ticker: $0["ticker"], yesBid: ($0["yes_bid_micros"] as Int64?).flatMap(Price.init(micros:)),
                 noBid: ($0["no_bid_micros"] as Int64?).flatMap(Price.init(micros:)), nanoseconds: $0["ts_ns"])
        }
    }

    static func isoDate(_ nanoseconds: Int64, time: Bool) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = time ? [.withInternetDateTime] : [.withFullDate]
        return formatter.string(from: Date(timeIntervalSince1970: Double(nanoseconds) / 1_000_000_000))
    }

    /// P&L per market and per day. Open positions are marked to `currentBooks` (the data venue's books,
    /// read by the caller just now) where given, else to the last book a run journaled, else to the
    /// market's last fill; the report says which.
    func pnl(_ db: Database, currentBooks: [String: BookMark]) throws -> JournalReport.PnL {
        var markets: [JournalReport.MarketPnL] = []
        var realized = Dollars.zero, fees = Dollars.zero, unrealized: Dollars? = .zero
        for row in try Row.fetchAll(db, sql: "SELECT ticker FROM positions ORDER BY ticker") {
            let ticker: String = row["ticker"]
            let ledger = try Self.ledger(db, ticker).position
            let event = try Self.ledger(db, ticker).eventTicker
            realized = realized.addingSaturated(ledger.realized)
            fees = fees.addingSaturated(ledger.fees)
            var line = JournalReport.MarketPnL(ticker: ticker, eventTicker: event, position: ledger.position.wireString,
                                               side: ledger.heldSide?.rawValue, basis: ledger.basis.wireString,
                                               averageCost: ledger.averageCost?.wireString, realizedPnl: ledger.realized.wireString,
                                               fees: ledger.fees.wireString)
            if let held = ledger.heldSide {
                var mark: (price: Price, source: String, ns: Int64)?
                if let book = currentBooks[ticker], let bid = book.bid(held) {
                    mark = (bid, "book", book.nanoseconds)
                } else if let stored = try Self.mark(db, ticker), let bid = held == .yes ? stored.yesBid : stored.noBid {
                    mark = (bid, "last_known_book", stored.nanoseconds)
                } else if let fill = try Row.fetchOne(db, sql: """
                    SELECT f.price_micros, f.ts_ns, o.side FROM fills f JOIN orders o ON o.client_order_id = f.client_order_id
                    WHERE f.ticker = ? ORDER BY f.ts_ns DESC, f.fill_id DESC LIMIT 1
                    """, arguments: [ticker]), let price = Price(micros: fill["price_micros"]), let side = OutcomeSide(rawValue: fill["side"]) {
                    mark = (price.of(side).of(held), "last_fill", fill["ts_ns"])
                }
                if let mark, let value = try? ledger.unrealized(atHeldSidePrice: mark.price) {
                    line.mark = mark.price.wireString
                    line.markSource = mark.source
                    line.markTime = Self.isoDate(mark.ns, time: true)
                    line.unrealizedPnl = value.wireString
                    unrealized = unrealized.map { $0.addingSaturated(value) }
                } else {
                    unrealized = nil
                }
            }
            markets.append(line)
        }
        var days: [JournalReport.DayPnL] = []
        var realizedByDay: [Int64: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT day, SUM(pnl_micros) AS pnl FROM realized_pnl GROUP BY day") { realizedByDay[row["day"]] = row["pnl"] }
        let statsDays = try Row.fetchAll(db, sql: "SELECT * FROM daily_stats")
        var statsByDay: [Int64: Row] = [:]
        for row in statsDays { statsByDay[row["day"]] = row }
        for day in Set(realizedByDay.keys).union(statsByDay.keys).sorted() {
            let stats = statsByDay[day]
            days.append(JournalReport.DayPnL(day: Self.isoDate(day * 86_400_000_000_000, time: false),
                                             realizedPnl: Dollars(micros: realizedByDay[day] ?? 0).wireString,
                                             fees: Dollars(micros: stats?["fees_micros"] ?? 0).wireString, orders: stats?["orders"] ?? 0,
                                             filledOrders: stats?["filled_orders"] ?? 0,
                                             contracts: Contracts(hundredths: stats?["contracts_hundredths"] ?? 0).wireString))
        }
        return JournalReport.PnL(realizedPnl: realized.wireString, unrealizedPnl: unrealized?.wireString,
                                 totalPnl: unrealized.map { realized.addingSaturated($0).wireString }, fees: fees.wireString,
                                 markets: markets, days: days)
    }

    /// Markets held now (for a caller that reads their current books before `report`).
    public func heldMarkets() throws -> [String] { try positions().keys.sorted() }

    /// Builds the report from everything journaled (the most recent `limit` orders are listed). Latency
    /// percentiles read every order's timings: `latencies: false` skips them (a view that has the live
    /// histograms).
    public func report(limit: Int = 200, currentBooks: [String: BookMark] = [:], latencies includeLatencies: Bool = true) throws -> JournalReport {
        try database.read { db in
            let orderRows = try Row.fetchAll(db, sql: "SELECT * FROM orders ORDER BY created_ns DESC LIMIT ?", arguments: [limit])
            // Fills of the listed orders only (a long journal's other fills are summed in SQL below).
            var fillsByOrder: [String: [JournalReport.FillLine]] = [:]
            let listed: [String] = orderRows.map { $0["client_order_id"] }
            for chunk in stride(from: 0, to: listed.count, by: 500).map({ Array(listed[$0..<min($0 + 500, listed.count)]) }) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT * FROM fills WHERE client_order_id IN (\(marks)) ORDER BY ts_ns, fill_id",
                                            arguments: StatementArguments(chunk)) {
                    let expected: Int64? = row["expected_price_micros"]
                    fillsByOrder[row["client_order_id"], default: []].append(JournalReport.FillLine(
                        fillID: row["fill_id"], contracts: Contracts(hundredths: row["count_hundredths"]).wireString,
                        price: Dollars(micros: row["price_micros"]).wireString, fee: Dollars(micros: row["fee_micros"]).wireString, role: row["role"],
                        expectedPrice: expected.map { Dollars(micros: $0).wireString }, time: Self.isoDate(row["ts_ns"], time: true)))
                }
            }
            let divergenceRow = try Row.fetchOne(db, sql: """
                SELECT SUM(price_micros - expected_price_micros) AS total, COUNT(*) AS n FROM fills WHERE expected_price_micros IS NOT NULL
                """)
            let divergence: (sum: Int64, count: Int64) = (divergenceRow?["total"] ?? 0, divergenceRow?["n"] ?? 0)
            var orders: [JournalReport.OrderLine] = []
            for row in orderRows {
                let id: String = row["client_order_id"]
                orders.append(JournalReport.OrderLine(
                    clientOrderID: id, signalID: row["signal_id"], ticker: row["ticker"], action: row["action"], side: row["side"],
                    limit: Dollars(micros: row["limit_price_micros"]).wireString, requested: Contracts(hundredths: row["requested_hundredths"]).wireString,
                    filled: Contracts(hundredths: row["filled_hundredths"]).wireString, state: row["state"], mode: row["mode"],
                    errorCode: row["error_code"], fills: fillsByOrder[id] ?? []))
            }
            let totals = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, SUM(CASE WHEN filled_hundredths > 0 THEN 1 ELSE 0 END) AS filled,
                    SUM(CASE WHEN \(Self.reachedVenue) THEN 1 ELSE 0 END) AS sent,
                    SUM(CASE WHEN action = 'sell' THEN notional_micros ELSE -notional_micros END) AS cash, SUM(fees_micros) AS fees
                FROM orders
                """)
            let count: Int = totals?["n"] ?? 0
            let filled: Int = totals?["filled"] ?? 0
            let sent: Int = totals?["sent"] ?? 0
            var latencies: [JournalReport.Latency] = []
            for (stage, column) in Self.latencyColumns
                where includeLatencies {
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
            let arbs = try Self.arbs(db, limit: limit).map {
                JournalReport.ArbLine(arbID: $0.arbID, pairID: $0.pairID, description: $0.description, outcome: $0.outcome.rawValue, reason: $0.reason,
                                      legs: $0.legs, closes: $0.closes, realizedPnl: $0.realizedPnl.wireString, exposure: $0.exposure.wireString,
                                      time: Self.isoDate($0.decidedNanoseconds, time: true))
            }
            return JournalReport(
                pnl: try pnl(db, currentBooks: currentBooks), arbs: arbs, orders: orders, orderCount: count, filledOrderCount: filled, fillRate: sent == 0 ? 0 : Double(filled) / Double(sent),
                cashFlow: Dollars(micros: totals?["cash"] ?? 0).wireString, fees: Dollars(micros: totals?["fees"] ?? 0).wireString,
                meanDivergence: divergence.count == 0 ? nil : Dollars(micros: divergence.sum / divergence.count).wireString,
                positions: positions, denials: denials, latencies: latencies)
        }
    }
}

extension Journal {
    /// The cash the orders of one venue moved (sells in, buys out) and the fees they paid.
    public func cashFlow(platform: Platform) throws -> (cash: Dollars, fees: Dollars) {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT SUM(CASE WHEN action = 'sell' THEN notional_micros ELSE -notional_micros END) AS cash, SUM(fees_micros) AS fees
                FROM orders WHERE platform = ?
                """, arguments: [platform.rawValue])
            return (Dollars(micros: row?["cash"] ?? 0), Dollars(micros: row?["fees"] ?? 0))
        }
    }
}

/// The journal as time series and distributions, for plots (`report --html`).
public struct JournalSeries: Sendable, Codable {
    public struct Point: Sendable, Codable {
        /// Unix nanoseconds.
        public var nanoseconds: Int64
        public var micros: Int64
    }

    public struct MarketFills: Sendable, Codable {
        public var ticker: String
        /// Orders that reached the venue.
        public var sent: Int
        public var filled: Int
    }

    public struct Divergence: Sendable, Codable {
        public var nanoseconds: Int64
        public var ticker: String
        /// Fill price − the data venue's price the signal expected (micro-dollars; positive costs more).
        public var micros: Int64
    }

    /// Realised P&L events (closing fills, settlements), oldest first.
    public var realized: [Point]
    /// Latency samples (µs) per stage, ascending.
    public var latencies: [String: [Int64]]
    public var fillsByMarket: [MarketFills]
    public var divergences: [Divergence]
}

extension Journal {
    /// Orders that reached the venue (what a fill rate is over).
    static let reachedVenue = "state NOT IN ('pending', 'not_placed') AND (error_code IS NULL OR error_code NOT IN ('NOT_SENT'))"
    /// Each latency stage and the order column that holds it (µs).
    static let latencyColumns: [(LatencyStage, String)] = [
        (.signalToSubmitted, "signal_to_submit_us"), (.submittedToAcknowledged, "submit_to_ack_us"),
        (.signalToFirstFill, "signal_to_first_fill_us"), (.signalToComplete, "signal_to_complete_us"),
    ]

    public func series() throws -> JournalSeries {
        try database.read { db in
            let realized = try Row.fetchAll(db, sql: "SELECT ts_ns, pnl_micros FROM realized_pnl ORDER BY ts_ns, id").map {
                JournalSeries.Point(nanoseconds: $0["ts_ns"], micros: $0["pnl_micros"])
            }
            var latencies: [String: [Int64]] = [:]
            for (stage, column) in Self.latencyColumns {
                latencies[stage.rawValue] = try Int64.fetchAll(db, sql: "SELECT \(column) FROM orders WHERE \(column) IS NOT NULL ORDER BY \(column)")
            }
            let fills = try Row.fetchAll(db, sql: """
                SELECT ticker, SUM(CASE WHEN \(Self.reachedVenue) THEN 1 ELSE 0 END) AS sent,
                    SUM(CASE WHEN filled_hundredths > 0 THEN 1 ELSE 0 END) AS filled
                FROM orders GROUP BY ticker ORDER BY ticker
                """).map { JournalSeries.MarketFills(ticker: $0["ticker"], sent: $0["sent"] ?? 0, filled: $0["filled"] ?? 0) }
            let divergences = try Row.fetchAll(db, sql: """
                SELECT ts_ns, ticker, price_micros - expected_price_micros AS d FROM fills WHERE expected_price_micros IS NOT NULL ORDER BY ts_ns
                """).map { JournalSeries.Divergence(nanoseconds: $0["ts_ns"], ticker: $0["ticker"], micros: $0["d"]) }
            return JournalSeries(realized: realized, latencies: latencies, fillsByMarket: fills, divergences: divergences)
        }
    }
}
