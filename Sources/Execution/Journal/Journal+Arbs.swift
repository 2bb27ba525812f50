import Foundation
import GRDB
import Markets

/// How an arbitrage ended.
public enum ArbOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// Both legs filled the same count: hedged.
    case filled
    /// One leg filled more; the excess was sold back until flat.
    case mismatchClosed = "mismatch_closed"
    /// One leg filled more and the close could not finish: the rest is open exposure.
    case exposureLeft = "exposure_left"
    /// A check refused it before anything was sent, or nothing filled.
    case aborted
    /// The circuit breaker refused it.
    case denied
}

/// One arbitrage as the journal keeps it: its legs (and the orders that closed a mismatch) with what
/// each filled, the outcome with its reason, and what it made.
public struct JournalArb: Sendable, Hashable, Codable {
    public struct Leg: Sendable, Hashable, Codable {
        public var platform: String
        /// The Kalshi ticker or Polymarket token id the leg named.
        public var instrument: String
        public var action: String
        public var side: String
        public var price: String
        public var contracts: String
        public var filled: String
        public var averagePrice: String?
        public var fees: String
        public var clientOrderID: String?
        public var venueOrderID: String?
        public var error: String?

        public init(platform: String, instrument: String, action: String, side: String, price: String, contracts: String, filled: String,
                    averagePrice: String?, fees: String, clientOrderID: String?, venueOrderID: String?, error: String?) {
            self.platform = platform
            self.instrument = instrument
            self.action = action
            self.side = side
            self.price = price
            self.contracts = contracts
            self.filled = filled
            self.averagePrice = averagePrice
            self.fees = fees
            self.clientOrderID = clientOrderID
            self.venueOrderID = venueOrderID
            self.error = error
        }
    }

    public var arbID: String
    public var pairID: String
    public var description: String
    public var receivedNanoseconds: Int64
    public var decidedNanoseconds: Int64
    public var outcome: ArbOutcome
    /// Why (the failed check, the denial, the mismatch and its close).
    public var reason: String
    public var legs: [Leg]
    /// Orders that sold a mismatch's excess.
    public var closes: [Leg]
    /// Hedged contracts × ($1 − both average prices) less their fees, plus what the closes realised.
    public var realizedPnl: Dollars
    /// Cost of contracts left unhedged (counted as a loss by the breaker).
    public var exposure: Dollars

    public init(arbID: String, pairID: String, description: String, receivedNanoseconds: Int64, decidedNanoseconds: Int64, outcome: ArbOutcome,
                reason: String, legs: [Leg], closes: [Leg] = [], realizedPnl: Dollars = .zero, exposure: Dollars = .zero) {
        self.arbID = arbID
        self.pairID = pairID
        self.description = description
        self.receivedNanoseconds = receivedNanoseconds
        self.decidedNanoseconds = decidedNanoseconds
        self.outcome = outcome
        self.reason = reason
        self.legs = legs
        self.closes = closes
        self.realizedPnl = realizedPnl
        self.exposure = exposure
    }
}

extension Journal {
    static func registerArbMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4 arbitrage") { db in
            try db.execute(sql: """
                CREATE TABLE arbs (arb_id TEXT PRIMARY KEY, pair_id TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
                    received_ns INTEGER NOT NULL, decided_ns INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT NOT NULL,
                    legs TEXT NOT NULL, closes TEXT NOT NULL DEFAULT '[]', realized_micros INTEGER NOT NULL DEFAULT 0,
                    exposure_micros INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX arbs_decided ON arbs(decided_ns);
                """)
        }
    }

    /// Records an arbitrage's outcome (once; a second record of the same id replaces the first).
    public func recordArb(_ arb: JournalArb) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        let legs = String(decoding: try encoder.encode(arb.legs), as: UTF8.self)
        let closes = String(decoding: try encoder.encode(arb.closes), as: UTF8.self)
        try writeSignals { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO arbs (arb_id, pair_id, description, received_ns, decided_ns, outcome, reason, legs, closes,
                    realized_micros, exposure_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [arb.arbID, arb.pairID, arb.description, arb.receivedNanoseconds, arb.decidedNanoseconds, arb.outcome.rawValue,
                                 arb.reason, legs, closes, arb.realizedPnl.micros, arb.exposure.micros])
            // The arb's signal is done with (a restart does not run it again).
            try Self.updateStatuses(db, [(id: "arb:" + arb.arbID, status: arb.outcome.rawValue)])
        }
    }

    /// The most recent `limit` arbitrages, newest first.
    public func arbs(limit: Int = 200) throws -> [JournalArb] {
        try database.read { db in try Self.arbs(db, limit: limit) }
    }

    /// One arbitrage's record, `nil` when it has none (yet).
    public func arb(_ arbID: String) throws -> JournalArb? {
        try database.read { db in try Self.arbs(db, sql: "SELECT * FROM arbs WHERE arb_id = ?", arguments: [arbID]).first }
    }

    static func arbs(_ db: Database, limit: Int) throws -> [JournalArb] {
        try arbs(db, sql: "SELECT * FROM arbs ORDER BY decided_ns DESC, arb_id LIMIT ?", arguments: [limit])
    }

    private static func arbs(_ db: Database, sql: String, arguments: StatementArguments) throws -> [JournalArb] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let legs: String = row["legs"], closes: String = row["closes"]
            return JournalArb(arbID: row["arb_id"], pairID: row["pair_id"], description: row["description"], receivedNanoseconds: row["received_ns"],
                              decidedNanoseconds: row["decided_ns"], outcome: ArbOutcome(rawValue: row["outcome"]) ?? .aborted, reason: row["reason"],
                              legs: (try? decoder.decode([JournalArb.Leg].self, from: Data(legs.utf8))) ?? [],
                              closes: (try? decoder.decode([JournalArb.Leg].self, from: Data(closes.utf8))) ?? [],
                              realizedPnl: Dollars(micros: row["realized_micros"]), exposure: Dollars(micros: row["exposure_micros"]))
        }
    }

    /// Arbitrages by outcome.
    public func arbCounts() throws -> [ArbOutcome: Int] {
        try database.read { db in
            var counts: [ArbOutcome: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT outcome, COUNT(*) AS n FROM arbs GROUP BY outcome") {
                if let outcome = ArbOutcome(rawValue: row["outcome"]) { counts[outcome] = row["n"] }
            }
            return counts
        }
    }
}
