import Foundation
import GRDB
import Synchronization

/// Accepted signals whose SQLite row is not written yet, in acceptance order; and what tells a new
/// `signal_id` from a known one without asking SQLite.
struct UnwrittenSignals {
    var signals: [Journal.AcceptedSignal] = []
    var ids: Set<String> = []
    /// Outcomes to record (`setSignalStatusSoon`), in order, after the rows.
    var statuses: [(id: String, status: String)] = []
    /// How many signals and outcomes were ever dropped from the front once written: two writers can
    /// write the same waiting ones (the second before the first has dropped them), each drops only what
    /// is still there.
    var signalsDropped = 0
    var statusesDropped = 0
    /// A write of their rows is scheduled on the journal's thread.
    var scheduled = false
    /// The hash (this process's `hashValue`) of every `signal_id` the journal holds or has accepted,
    /// loaded at the first acceptance. A hash not in it is a new signal; one in it is checked exactly.
    var known: Set<Int>?
}

extension Journal {
    /// A signal to journal as accepted.
    public struct AcceptedSignal: Sendable, Hashable {
        public var id: String
        public var receivedNanoseconds: Int64
        public var payload: String
        public var shouldTrade: Bool
        /// `accepted` (waiting to trade) or a final status such as `not_traded`.
        public var status: String
        public init(id: String, receivedNanoseconds: Int64, payload: String, shouldTrade: Bool, status: String = "accepted") {
            self.id = id
            self.receivedNanoseconds = receivedNanoseconds
            self.payload = payload
            self.shouldTrade = shouldTrade
            self.status = status
        }
    }

    /// Journals signals as accepted before anyone is told they were. A `signal_id` the journal already
    /// holds (from this run or any earlier one, or twice in `signals`) is not accepted again: its entry is
    /// `false`.
    ///
    /// Each new signal is one line appended to the signal intake log (`<journal>-signals`), as durable
    /// as a commit here (see `RecordLog`) for a few microseconds instead of an SQLite transaction's
    /// 100–250 on the signal's way to the venue. The rows follow on the journal's own thread moments later,
    /// the signals accepted meanwhile in one transaction; anything that reads or changes signals writes
    /// the waiting rows first, and a start after a crash writes back any line without its row
    /// (`recoverIntents`).
    ///
    /// `scheduleRows: false` leaves the scheduling of the rows to a later `scheduleSignalRows()` (the
    /// signal inbox, once it has woken the loop); anything that reads or changes signals writes them anyway.
    public func acceptSignals(_ signals: [AcceptedSignal], scheduleRows: Bool = true) throws -> [Bool] {
        guard !signals.isEmpty else { return [] }
        guard let signalIntake else { throw JournalError("the journal \(path) is open read-only") }
        let accepted = try unwrittenSignals.withLock { unwritten -> [Bool] in
            if unwritten.known == nil { unwritten.known = try storedSignalHashes() }
            return try signals.map { signal in
                // A hash seen before: a repeat, or (rarely) another id with the same hash. Exactly: under
                // the lock the rows' writer takes after its commit to drop them from `unwritten`, a known
                // signal is in `unwritten` or in SQLite (or both), never in neither.
                if unwritten.known?.contains(signal.id.hashValue) == true,
                   try unwritten.ids.contains(signal.id) || isStored(signal.id) { return false }
                try signalIntake.append(signal)
                unwritten.signals.append(signal)
                unwritten.ids.insert(signal.id)
                unwritten.known?.insert(signal.id.hashValue)
                return true
            }
        }
        if scheduleRows, accepted.contains(true) { scheduleSignalRows() }
        return accepted
    }

    /// Whether `id` has a row already.
    private func isStored(_ id: String) throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM signals WHERE signal_id = ?", arguments: [id]) != nil }
    }

    /// The hashes of every journaled `signal_id` (one pass over the table's key, at the first acceptance;
    /// about 16 bytes a signal). A new signal is then told from a repeat in a set lookup, where an SQLite
    /// read cost an acceptance 100–250 µs in a run (measured: 243 µs p50 through the pool's reader).
    private func storedSignalHashes() throws -> Set<Int> {
        try database.read { db in
            var hashes = Set<Int>()
            let rows = try String.fetchCursor(db, sql: "SELECT signal_id FROM signals")
            while let id = try rows.next() { hashes.insert(id.hashValue) }
            return hashes
        }
    }

    /// Notes `id` as journaled (a row written other than by `acceptSignals`).
    private func noteKnown(_ id: String) {
        unwrittenSignals.withLock { _ = $0.known?.insert(id.hashValue) }
    }

    /// Writes the waiting rows on the journal's thread after `signalRowDelay` (once per batch; nothing
    /// when no row is waiting).
    public func scheduleSignalRows(after delay: DispatchTimeInterval? = nil) {
        let schedule = unwrittenSignals.withLock { unwritten in
            let waiting = !unwritten.signals.isEmpty || !unwritten.statuses.isEmpty
            defer { if waiting { unwritten.scheduled = true } }
            return !unwritten.scheduled && waiting
        }
        guard schedule else { return }
        offload.asyncAfter(deadline: .now() + (delay ?? signalRowDelay)) { [weak self] in
            guard let self else { return }
            unwrittenSignals.withLock { $0.scheduled = false }
            do { try writeSignals { _ in } } catch {
                // The intake log still holds them; the next attempt (or the next start) writes them.
                scheduleSignalRows(after: .milliseconds(100))
            }
        }
    }

    /// Runs `body` in one write transaction after the rows of the signals waiting for theirs and the
    /// outcomes waiting to be recorded.
    func writeSignals<T>(_ body: (Database) throws -> T) throws -> T {
        let (result, signalsEnd, statusesEnd) = try database.write { db -> (T, Int, Int) in
            let (waiting, statuses, signalsDropped, statusesDropped) = unwrittenSignals.withLock {
                ($0.signals, $0.statuses, $0.signalsDropped, $0.statusesDropped)
            }
            try Self.insertSignals(db, waiting)
            try Self.updateStatuses(db, statuses)
            return (try body(db), signalsDropped + waiting.count, statusesDropped + statuses.count)
        }
        unwrittenSignals.withLock { unwritten in
            let statuses = min(max(0, statusesEnd - unwritten.statusesDropped), unwritten.statuses.count)
            unwritten.statuses.removeFirst(statuses)
            unwritten.statusesDropped += statuses
            let written = min(max(0, signalsEnd - unwritten.signalsDropped), unwritten.signals.count)
            for signal in unwritten.signals.prefix(written) { unwritten.ids.remove(signal.id) }
            unwritten.signals.removeFirst(written)
            unwritten.signalsDropped += written
            if written > 0, unwritten.signals.isEmpty, let signalIntake, signalIntake.size > RecordLog<AcceptedSignal>.compactionBytes {
                try? signalIntake.truncate()
            }
        }
        return result
    }

    private static func insertSignals(_ db: Database, _ signals: [AcceptedSignal]) throws {
        guard !signals.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO signals (signal_id, received_ns, payload, should_trade, status) VALUES (?, ?, ?, ?, ?)
            """)
        for signal in signals {
            try statement.execute(arguments: [signal.id, signal.receivedNanoseconds, signal.payload, signal.shouldTrade, signal.status])
        }
    }

    static func updateStatuses(_ db: Database, _ statuses: [(id: String, status: String)]) throws {
        guard !statuses.isEmpty else { return }
        let statement = try db.cachedStatement(sql: "UPDATE signals SET status = ? WHERE signal_id = ?")
        for (id, status) in statuses { try statement.execute(arguments: [status, id]) }
    }

    /// Writes back the signals a crash left in the intake log without their row, then empties the log.
    /// Under the lock `acceptSignals` appends with, so no signal accepted meanwhile is lost.
    func recoverSignalIntake() throws {
        guard let signalIntake else { return }
        try database.write { db in
            try unwrittenSignals.withLock { unwritten in
                let recovered = try signalIntake.read()
                try Self.insertSignals(db, recovered + unwritten.signals)
                try Self.updateStatuses(db, unwritten.statuses)
                var known = unwritten.known
                for signal in recovered { known?.insert(signal.id.hashValue) }
                unwritten = UnwrittenSignals(signalsDropped: unwritten.signalsDropped + unwritten.signals.count,
                                             statusesDropped: unwritten.statusesDropped + unwritten.statuses.count,
                                             scheduled: unwritten.scheduled, known: known)
                try signalIntake.truncate()
            }
        }
    }

    /// Writes the rows of signals still waiting for theirs (a reader then sees every accepted signal).
    public func writeWaitingSignals() throws {
        guard unwrittenSignals.withLock({ !$0.signals.isEmpty || !$0.statuses.isEmpty }) else { return }
        try writeSignals { _ in }
    }

    /// Records a signal as received (`status`: traded, blocked, skipped, rejected…). Idempotent by id.
    public func recordSignal(id: String, receivedNanoseconds: Int64, payload: String, shouldTrade: Bool, status: String) throws {
        noteKnown(id)  // before the row: an acceptance of the same id meanwhile checks SQLite exactly
        try writeSignals { db in
            try db.execute(sql: """
                INSERT INTO signals (signal_id, received_ns, payload, should_trade, status) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(signal_id) DO UPDATE SET status = excluded.status
                """, arguments: [id, receivedNanoseconds, payload, shouldTrade, status])
        }
    }

    /// A signal accepted by an earlier run and never finished: still `accepted` in the journal.
    public struct PendingSignal: Sendable {
        public var id: String
        public var receivedNanoseconds: Int64
        public var payload: String
        /// Whether an order was already made for it (the run stopped mid-execution).
        public var hasOrders: Bool
    }

    /// Signals still `accepted` (accepted, not yet executed when the last run stopped), oldest first.
    public func pendingSignals() throws -> [PendingSignal] {
        try writeWaitingSignals()
        return try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.signal_id, s.received_ns, s.payload,
                    EXISTS(SELECT 1 FROM orders o WHERE o.signal_id = s.signal_id) AS has_orders
                FROM signals s WHERE s.status = 'accepted' ORDER BY s.received_ns, s.rowid
                """).map {
                PendingSignal(id: $0["signal_id"], receivedNanoseconds: $0["received_ns"], payload: $0["payload"], hasOrders: $0["has_orders"])
            }
        }
    }

    /// A journaled signal's payload and arrival, whatever its status.
    public func signal(_ id: String) throws -> (payload: String, receivedNanoseconds: Int64)? {
        try writeWaitingSignals()
        return try database.read { db in
            try Row.fetchOne(db, sql: "SELECT payload, received_ns FROM signals WHERE signal_id = ?", arguments: [id]).map {
                (payload: $0["payload"], receivedNanoseconds: $0["received_ns"])
            }
        }
    }

    /// Sets the status of journaled signals.
    public func setSignalStatus(_ ids: [String], _ status: String) throws {
        guard !ids.isEmpty else { return }
        try writeSignals { db in try Self.updateStatuses(db, ids.map { (id: $0, status: status) }) }
    }

    /// Records what became of signals with the next batch of rows on the journal's thread (a couple of
    /// milliseconds later, in one transaction with the others; anything reading signals writes them
    /// first). A killed process can lose the last of these: the signal is then still `accepted`, and the
    /// next start settles it like any signal it finds so (with orders: executed before the restart;
    /// without: traded while younger than SIGNAL_MAX_AGE_MS, else expired). Each outcome in its own
    /// transaction, awaited, cost an order ~100–300 µs of SQLite on its market's turn.
    public func setSignalStatusSoon(_ ids: [String], _ status: String) {
        guard !ids.isEmpty else { return }
        unwrittenSignals.withLock { $0.statuses.append(contentsOf: ids.map { (id: $0, status: status) }) }
        scheduleSignalRows()
    }

    /// Signals by status.
    public func signalStatusCounts() throws -> [String: Int] {
        try writeWaitingSignals()
        return try database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM signals GROUP BY status") { counts[row["status"]] = row["n"] }
            return counts
        }
    }

    public func signalCount() throws -> Int {
        try writeWaitingSignals()
        return try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signals") ?? 0 }
    }
}
