import Foundation
import GRDB
import Markets
import Synchronization

/// One order as the journal holds it. Written (pending) before the request leaves the process.
public struct JournalOrder: Sendable, Hashable {
    public var clientOrderID: String
    public var signalID: String?
    /// The venue the order went to.
    public var platform: Platform
    /// The instrument: a Kalshi ticker or a Polymarket token id.
    public var ticker: String
    public var action: OrderAction
    public var side: OutcomeSide
    /// Limit of the traded outcome.
    public var limitPrice: Price
    public var requested: Contracts
    public var state: OrderState
    /// `paper`, `demo` or `live`.
    public var mode: String
    public var venueOrderID: String?
    public var filled: Contracts
    public var createdNanoseconds: Int64
    public var errorCode: String?
    public var retryCount: Int
    /// The market's event, once the order's completion named it.
    public var eventTicker: String?

    public init(clientOrderID: String, signalID: String?, platform: Platform = .kalshi, ticker: String, action: OrderAction, side: OutcomeSide,
                limitPrice: Price, requested: Contracts, mode: String, createdNanoseconds: Int64) {
        self.clientOrderID = clientOrderID
        self.signalID = signalID
        self.platform = platform
        self.ticker = ticker
        self.action = action
        self.side = side
        self.limitPrice = limitPrice
        self.requested = requested
        state = .pending
        self.mode = mode
        venueOrderID = nil
        filled = .zero
        self.createdNanoseconds = createdNanoseconds
        errorCode = nil
        retryCount = 0
        eventTicker = nil
    }
}

/// A fill as journaled; `fillID` is unique (Kalshi `fill_id`/`trade_id`).
public struct JournalFill: Sendable, Hashable {
    public var fillID: String
    public var clientOrderID: String
    public var ticker: String
    public var count: Contracts
    public var price: Price
    public var fee: Dollars
    public var role: LiquidityRole
    public var nanoseconds: Int64

    public init(fillID: String, clientOrderID: String, ticker: String, count: Contracts, price: Price, fee: Dollars,
                role: LiquidityRole, nanoseconds: Int64) {
        self.fillID = fillID
        self.clientOrderID = clientOrderID
        self.ticker = ticker
        self.count = count
        self.price = price
        self.fee = fee
        self.role = role
        self.nanoseconds = nanoseconds
    }
}

/// The durable record of a run in SQLite (WAL): signals, orders, append-only order events, fills
/// (unique fill id), positions, breaker state and denials. Every write is its own transaction and is
/// committed when the call returns, so "write, then send" means the order exists on disk first.
///
/// One process trades on a journal at a time (`JournalLock`); readers (`report`, the paper account
/// commands) open it read-only and change nothing. Its files are private: the directory is created
/// 0700, the database, its WAL and its intent log 0600.
public final class Journal: Sendable {
    let database: any DatabaseWriter
    public let path: String
    public let isReadOnly: Bool
    /// Copies the WAL back into the database file off every commit's path; `nil` when read-only.
    let checkpointer: WALCheckpointer?
    /// Where an order is recorded first, before it is sent (`recordIntent`); `nil` when read-only.
    let intents: RecordLog<JournalOrder>?
    /// Where an accepted signal is recorded first (`acceptSignals`); `nil` when read-only.
    let signalIntake: RecordLog<AcceptedSignal>?
    /// Accepted signals whose row is not written yet (`acceptSignals`).
    let unwrittenSignals = Mutex(UnwrittenSignals())
    /// How long after a signal's acceptance its row is written (with those of the signals accepted meanwhile).
    let signalRowDelay: DispatchTimeInterval
    /// Intents whose SQLite row is not written yet (the log is compacted only when this is empty).
    private let outstanding = Mutex<Set<String>>([])
    /// Where writes that need not hold up their caller run (`offloaded`): a thread of its own, so an
    /// SQLite transaction never occupies one of the few threads async code (the next order) runs on.
    let offload = DispatchQueue(label: "journal.offload", qos: .utility)
    /// Where order completions are committed together (`completeTogether`).
    let completionQueue = DispatchQueue(label: "journal.completions", qos: .userInitiated)
    let completionBatch = Mutex(CompletionBatch())

    /// Completions waiting for the next transaction.
    struct CompletionBatch {
        var pending: [PendingCompletion] = []
        /// A drain is scheduled or running on `completionQueue`.
        var draining = false
    }

    struct PendingCompletion: Sendable {
        let completion: OrderCompletion
        let inserting: JournalOrder?
        let breaker: @Sendable () -> BreakerSnapshot?
        let continuation: CheckedContinuation<Result<CompletionRecord, any Error>, Never>
    }

    /// Runs `body` on the journal's own thread and waits for it without blocking a thread of the
    /// concurrency pool. Bodies run one at a time, in the order they were handed over.
    public func offloaded<T: Sendable>(_ body: @escaping @Sendable (Journal) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            offload.async { continuation.resume(with: Result { try body(self) }) }
        }
    }

    /// Opens (creating directories and tables as needed) the journal at `path`. With `readOnly`, an
    /// existing journal is opened for reading only: no table is created or migrated, no intent recovered.
    public convenience init(path: String, readOnly: Bool = false) throws {
        try self.init(path: path, readOnly: readOnly, signalRowDelay: .milliseconds(2))
    }

    /// `signalRowDelay`: see `acceptSignals` (tests lengthen it to stand for a crash before the rows);
    /// `checkpointPeriod`: see `WALCheckpointer` (tests lengthen it to see that commits do not checkpoint).
    init(path: String, readOnly: Bool, signalRowDelay: DispatchTimeInterval, checkpointPeriod: Duration = WALCheckpointer.period) throws {
        self.path = path
        isReadOnly = readOnly
        self.signalRowDelay = signalRowDelay
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        if readOnly {
            guard FileManager.default.fileExists(atPath: path) else { throw JournalError("no journal at \(path)") }
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            guard try queue.read({ try Self.migrator.hasCompletedMigrations($0) }) else {
                throw JournalError("the journal \(path) was written by an older version; start a run (or `run-executor order`) once to upgrade it")
            }
            database = queue
            checkpointer = nil
            intents = nil
            signalIntake = nil
            return
        }
        try JournalFiles.prepareDirectory(for: path)
        try JournalFiles.ensurePrivate(path)
        // WAL with synchronous=NORMAL: a commit is in the WAL file when it returns, so it survives the
        // process being killed at any point (the crash this journal guards against); only an OS crash or
        // power loss can drop the last commits, and start-up reconciliation recovers those orders from the
        // venue by client_order_id. FULL would add an fsync (milliseconds) to every order's critical path.
        // No checkpoint inside a commit: `WALCheckpointer` runs them on a thread of its own.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        database = pool
        checkpointer = try WALCheckpointer(path: path, writer: pool, period: checkpointPeriod)
        JournalFiles.narrowCompanions(of: path)
        intents = try RecordLog(path: path + "-intents")
        signalIntake = try RecordLog(path: path + "-signals")
    }

    /// A journal let go writes the rows of the signals it accepted (a crash leaves them to the next start).
    deinit {
        checkpointer?.stop()
        try? writeWaitingSignals()
    }

    /// Orders whose intent was written but whose row was not (the process died in between): written
    /// back as `pending`, for reconciliation to settle with the venue; so are accepted signals without
    /// their row (`acceptSignals`). Then both logs start empty.
    ///
    /// Only the process that trades on this journal may do this (`ExecutionService` does, when it takes the
    /// journal over): a reader (`report`, account commands) would race a running trader, writing rows for
    /// orders still in flight and emptying the log under it.
    public func recoverIntents() throws {
        guard let intents else { throw JournalError("the journal \(path) is open read-only") }
        try recoverSignalIntake()
        let orders = try intents.read()
        guard !orders.isEmpty else { return }
        try database.write { db in
            for order in orders where try !Self.exists(db, order.clientOrderID) {
                try Self.insertRow(db, order, detail: "state=pending (recovered from the intent log)")
            }
        }
        try intents.truncate()
    }

    private static func exists(_ db: Database, _ clientOrderID: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM orders WHERE client_order_id = ?)", arguments: [clientOrderID]) ?? false
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE signals (signal_id TEXT PRIMARY KEY, received_ns INTEGER NOT NULL, payload TEXT NOT NULL,
                    should_trade INTEGER NOT NULL, status TEXT NOT NULL);
                CREATE TABLE orders (client_order_id TEXT PRIMARY KEY, signal_id TEXT, ticker TEXT NOT NULL, action TEXT NOT NULL,
                    side TEXT NOT NULL, limit_price_micros INTEGER NOT NULL, requested_hundredths INTEGER NOT NULL,
                    state TEXT NOT NULL, mode TEXT NOT NULL, venue_order_id TEXT, filled_hundredths INTEGER NOT NULL DEFAULT 0,
                    created_ns INTEGER NOT NULL, updated_ns INTEGER NOT NULL, error_code TEXT, retry_count INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX orders_state ON orders(state);
                CREATE TABLE order_events (id INTEGER PRIMARY KEY AUTOINCREMENT, client_order_id TEXT NOT NULL REFERENCES orders(client_order_id),
                    ts_ns INTEGER NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
                CREATE TABLE fills (fill_id TEXT PRIMARY KEY, client_order_id TEXT NOT NULL, ticker TEXT NOT NULL,
                    count_hundredths INTEGER NOT NULL, price_micros INTEGER NOT NULL, fee_micros INTEGER NOT NULL, role TEXT NOT NULL,
                    ts_ns INTEGER NOT NULL);
                CREATE INDEX fills_order ON fills(client_order_id);
                CREATE TABLE positions (ticker TEXT PRIMARY KEY, event_ticker TEXT NOT NULL, position_hundredths INTEGER NOT NULL,
                    updated_ns INTEGER NOT NULL);
                CREATE TABLE breaker_state (id INTEGER PRIMARY KEY CHECK (id = 1), snapshot TEXT NOT NULL, updated_ns INTEGER NOT NULL);
                CREATE TABLE denials (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ns INTEGER NOT NULL, code TEXT NOT NULL,
                    context TEXT NOT NULL, ticker TEXT);
                -- Append-only: events are never edited or removed.
                CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END;
                CREATE TRIGGER order_events_no_delete BEFORE DELETE ON order_events BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END;
                """)
        }
        migrator.registerMigration("v2 timing, divergence, daily stats, drift") { db in
            try db.execute(sql: """
                ALTER TABLE orders ADD COLUMN event_ticker TEXT;
                ALTER TABLE orders ADD COLUMN expected_price_micros INTEGER;
                ALTER TABLE orders ADD COLUMN notional_micros INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE orders ADD COLUMN fees_micros INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE orders ADD COLUMN signal_to_submit_us INTEGER;
                ALTER TABLE orders ADD COLUMN submit_to_ack_us INTEGER;
                ALTER TABLE orders ADD COLUMN signal_to_first_fill_us INTEGER;
                ALTER TABLE orders ADD COLUMN signal_to_complete_us INTEGER;
                ALTER TABLE fills ADD COLUMN expected_price_micros INTEGER;
                CREATE TABLE daily_stats (day INTEGER PRIMARY KEY, orders INTEGER NOT NULL DEFAULT 0, filled_orders INTEGER NOT NULL DEFAULT 0,
                    fills INTEGER NOT NULL DEFAULT 0, contracts_hundredths INTEGER NOT NULL DEFAULT 0, notional_micros INTEGER NOT NULL DEFAULT 0,
                    fees_micros INTEGER NOT NULL DEFAULT 0, denials INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE position_drift (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ns INTEGER NOT NULL, ticker TEXT NOT NULL,
                    journal_hundredths INTEGER NOT NULL, venue_hundredths INTEGER NOT NULL, acknowledged INTEGER NOT NULL DEFAULT 0);
                """)
        }
        migrator.registerMigration("v3 realised P&L, marks, signal intake, the venue of orders and positions") { db in
            try db.execute(sql: """
                ALTER TABLE orders ADD COLUMN platform TEXT NOT NULL DEFAULT 'kalshi';
                ALTER TABLE positions ADD COLUMN platform TEXT NOT NULL DEFAULT 'kalshi';
                ALTER TABLE positions ADD COLUMN basis_micros INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE positions ADD COLUMN realized_micros INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE positions ADD COLUMN fees_micros INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE realized_pnl (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ns INTEGER NOT NULL, day INTEGER NOT NULL,
                    ticker TEXT NOT NULL, event_ticker TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, client_order_id TEXT,
                    closed_hundredths INTEGER NOT NULL, pnl_micros INTEGER NOT NULL, detail TEXT NOT NULL DEFAULT '');
                CREATE INDEX realized_pnl_ts ON realized_pnl(ts_ns);
                CREATE TABLE marks (ticker TEXT PRIMARY KEY, yes_bid_micros INTEGER, no_bid_micros INTEGER, ts_ns INTEGER NOT NULL);
                CREATE INDEX signals_status ON signals(status);
                """)
            try rebuildLedgers(db)
        }
        registerArbMigration(&migrator)
        return migrator
    }

    /// Replays every journaled fill, oldest first, through `MarketPosition` (a journal written before
    /// realised P&L existed): bases and realised results are rebuilt; a stored position the fills do not
    /// explain (adopted from the venue) is kept as stored.
    static func rebuildLedgers(_ db: Database) throws {
        var ledgers: [String: MarketPosition] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT f.ticker, f.count_hundredths, f.price_micros, f.fee_micros, f.ts_ns, f.client_order_id, o.action, o.side
            FROM fills f JOIN orders o ON o.client_order_id = f.client_order_id ORDER BY f.ts_ns, f.fill_id
            """)
        for row in rows {
            guard let action = OrderAction(rawValue: row["action"]), let side = OutcomeSide(rawValue: row["side"]),
                  let price = Price(micros: row["price_micros"]) else { continue }
            let ticker: String = row["ticker"]
            var ledger = ledgers[ticker] ?? MarketPosition()
            if let result = try ledger.apply(action: action, side: side, count: Contracts(hundredths: row["count_hundredths"]), price: price,
                                             fee: Dollars(micros: row["fee_micros"])) {
                try recordRealized(db, ticker: ticker, event: "", kind: "close", clientOrderID: row["client_order_id"], result,
                                   at: row["ts_ns"], detail: "rebuilt from the journal's fills")
            }
            ledgers[ticker] = ledger
        }
        for row in try Row.fetchAll(db, sql: "SELECT ticker, event_ticker, position_hundredths, updated_ns FROM positions") {
            let ticker: String = row["ticker"]
            var ledger = ledgers.removeValue(forKey: ticker) ?? MarketPosition()
            _ = try ledger.adopt(Contracts(hundredths: row["position_hundredths"]))
            try save(db, ticker, event: row["event_ticker"], ledger, at: row["updated_ns"])
        }
        for (ticker, ledger) in ledgers where ledger.realized != .zero {
            // Markets whose position row is gone (older versions deleted flat rows): keep their realised P&L.
            var flat = ledger
            _ = try flat.adopt(.zero)
            try save(db, ticker, event: "", flat, at: 0)
        }
    }

    // MARK: Orders

    /// The order's first record, before it is sent: one line in the intent log (a few microseconds,
    /// where the SQLite row costs a hundred or more). `insert` must follow, once the order is on its way.
    public func recordIntent(_ order: JournalOrder) throws {
        guard let intents else { throw JournalError("the journal \(path) is open read-only") }
        try outstanding.withLock { outstanding in
            try intents.append(order)
            outstanding.insert(order.clientOrderID)
        }
    }

    /// Records a new order (state `pending`) and its first event. Returns once committed.
    public func insert(_ order: JournalOrder) throws {
        try insert([order])
    }

    /// Records new orders (state `pending`) and their first events in one transaction.
    func insert(_ orders: [JournalOrder]) throws {
        try database.write { db in
            for order in orders { try Self.insertRow(db, order, detail: "state=pending") }
        }
        for order in orders { rowWritten(order) }
    }

    /// The order's row is committed: its intent is no longer needed.
    func rowWritten(_ order: JournalOrder) {
        // Under the lock `recordIntent` appends with, so no intent can slip in between check and truncate.
        outstanding.withLock { outstanding in
            outstanding.remove(order.clientOrderID)
            if outstanding.isEmpty, let intents, intents.size > RecordLog<JournalOrder>.compactionBytes { try? intents.truncate() }
        }
    }

    static func insertRow(_ db: Database, _ order: JournalOrder, detail: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO orders (client_order_id, signal_id, platform, ticker, action, side, limit_price_micros, requested_hundredths,
                state, mode, venue_order_id, filled_hundredths, created_ns, updated_ns, error_code, retry_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [order.clientOrderID, order.signalID, order.platform.rawValue, order.ticker, order.action.rawValue,
                             order.side.rawValue, order.limitPrice.micros, order.requested.hundredths, order.state.rawValue, order.mode,
                             order.venueOrderID, order.filled.hundredths, order.createdNanoseconds, order.createdNanoseconds,
                             order.errorCode, order.retryCount])
        try appendEvent(db, order.clientOrderID, at: order.createdNanoseconds, "created", detail: detail)
    }

    /// Moves an order to `state` (with what changed) and appends the event, in one transaction.
    public func update(_ clientOrderID: String, state: OrderState, venueOrderID: String? = nil, filled: Contracts? = nil,
                       errorCode: String? = nil, at nanoseconds: Int64, event: String, detail: String = "") throws {
        try database.write { db in
            try db.execute(sql: """
                UPDATE orders SET state = ?, venue_order_id = COALESCE(?, venue_order_id),
                    filled_hundredths = COALESCE(?, filled_hundredths), error_code = COALESCE(?, error_code), updated_ns = ?
                WHERE client_order_id = ?
                """, arguments: [state.rawValue, venueOrderID, filled?.hundredths, errorCode, nanoseconds, clientOrderID])
            try Self.appendEvent(db, clientOrderID, at: nanoseconds, event, detail: "state=\(state.rawValue)" + (detail.isEmpty ? "" : " \(detail)"))
        }
    }

    static func appendEvent(_ db: Database, _ clientOrderID: String, at nanoseconds: Int64, _ event: String, detail: String) throws {
        try db.cachedStatement(sql: "INSERT INTO order_events (client_order_id, ts_ns, event, detail) VALUES (?, ?, ?, ?)")
            .execute(arguments: [clientOrderID, nanoseconds, event, detail])
    }

    static func order(_ row: Row) -> JournalOrder? {
        guard let action = OrderAction(rawValue: row["action"]), let side = OutcomeSide(rawValue: row["side"]),
              let price = Price(micros: row["limit_price_micros"]), let state = OrderState(rawValue: row["state"]) else { return nil }
        var order = JournalOrder(clientOrderID: row["client_order_id"], signalID: row["signal_id"],
                                 platform: Platform(rawValue: row["platform"] ?? "kalshi") ?? .kalshi, ticker: row["ticker"], action: action,
                                 side: side, limitPrice: price, requested: Contracts(hundredths: row["requested_hundredths"]),
                                 mode: row["mode"], createdNanoseconds: row["created_ns"])
        order.state = state
        order.venueOrderID = row["venue_order_id"]
        order.filled = Contracts(hundredths: row["filled_hundredths"])
        order.errorCode = row["error_code"]
        order.retryCount = row["retry_count"]
        order.eventTicker = row["event_ticker"]
        return order
    }

    public func order(_ clientOrderID: String) throws -> JournalOrder? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM orders WHERE client_order_id = ?", arguments: [clientOrderID]).flatMap(Self.order)
        }
    }

    /// The orders a signal (or an arb, `arb:<id>`) led to, oldest first.
    public func orders(signalID: String) throws -> [JournalOrder] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM orders WHERE signal_id = ? ORDER BY created_ns, client_order_id", arguments: [signalID])
                .compactMap(Self.order)
        }
    }

    /// Orders not yet in a terminal state: what start-up reconciliation must resolve with the venue.
    public func nonTerminalOrders() throws -> [JournalOrder] {
        let open = OrderState.allCases.filter { !$0.isTerminal }.map(\.rawValue)
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM orders WHERE state IN (\(open.map { _ in "?" }.joined(separator: ","))) ORDER BY created_ns",
                             arguments: StatementArguments(open)).compactMap(Self.order)
        }
    }

    /// The order's events, oldest first.
    public func events(_ clientOrderID: String) throws -> [(event: String, detail: String)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT event, detail FROM order_events WHERE client_order_id = ? ORDER BY id", arguments: [clientOrderID])
                .map { (event: $0["event"], detail: $0["detail"]) }
        }
    }

    // MARK: Fills

    /// Records a fill once. Returns `false` (and changes nothing) if this fill id is already journaled.
    @discardableResult
    public func record(_ fill: JournalFill) throws -> Bool {
        try database.write { db in try !Self.insert(db, [fill]).isEmpty }
    }

    /// Records many fills in one transaction (duplicates ignored); returns how many were new.
    @discardableResult
    public func record(_ fills: [JournalFill]) throws -> Int {
        try database.write { db in try Self.insert(db, fills).count }
    }

    /// Inserts fills inside the caller's transaction, each fill id once; returns the fills that were new.
    static func insert(_ db: Database, _ fills: [JournalFill], expectedPrice: Price? = nil) throws -> [JournalFill] {
        let statement = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO fills (fill_id, client_order_id, ticker, count_hundredths, price_micros, fee_micros, role, ts_ns, expected_price_micros)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var inserted: [JournalFill] = []
        for fill in fills {
            try statement.execute(arguments: [fill.fillID, fill.clientOrderID, fill.ticker, fill.count.hundredths, fill.price.micros,
                                              fill.fee.micros, fill.role.rawValue, fill.nanoseconds, expectedPrice?.micros])
            if db.changesCount == 1 { inserted.append(fill) }
        }
        return inserted
    }

    public func fills(_ clientOrderID: String) throws -> [JournalFill] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fills WHERE client_order_id = ? ORDER BY ts_ns, fill_id", arguments: [clientOrderID]).compactMap { row in
                guard let price = Price(micros: row["price_micros"]), let role = LiquidityRole(rawValue: row["role"]) else { return nil }
                return JournalFill(fillID: row["fill_id"], clientOrderID: row["client_order_id"], ticker: row["ticker"],
                                   count: Contracts(hundredths: row["count_hundredths"]), price: price, fee: Dollars(micros: row["fee_micros"]),
                                   role: role, nanoseconds: row["ts_ns"])
            }
        }
    }

    // MARK: Positions, breaker, denials

    /// Sets a market's position outright (tests and tools), keeping its realised P&L; the basis follows
    /// the rules of `MarketPosition.adopt`.
    public func setPosition(ticker: String, eventTicker: String, position: Contracts, at nanoseconds: Int64) throws {
        try database.write { db in
            var ledger = try Self.ledger(db, ticker)
            _ = try ledger.position.adopt(position)
            try Self.save(db, ticker, event: eventTicker, ledger.position, at: nanoseconds)
        }
    }

    /// Open positions by market (flat markets left out), of every venue or of `platforms`.
    public func positions(platforms: Set<Platform>? = nil) throws -> [String: Contracts] {
        try database.read { db in
            var positions: [String: Contracts] = [:]
            let filter = platforms.map { " AND platform IN (\(Self.list($0)))" } ?? ""
            for row in try Row.fetchAll(db, sql: "SELECT ticker, position_hundredths FROM positions WHERE position_hundredths != 0" + filter) {
                positions[row["ticker"]] = Contracts(hundredths: row["position_hundredths"])
            }
            return positions
        }
    }

    public func positionsWithEvents() throws -> [(ticker: String, eventTicker: String, position: Contracts)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT ticker, event_ticker, position_hundredths FROM positions WHERE position_hundredths != 0 ORDER BY ticker").map {
                (ticker: $0["ticker"], eventTicker: $0["event_ticker"], position: Contracts(hundredths: $0["position_hundredths"]))
            }
        }
    }

    /// Persists the breaker's durable state (a manual halt above all).
    public func saveBreaker(_ snapshot: BreakerSnapshot, at nanoseconds: Int64) throws {
        let json = snapshot.json
        try database.write { db in try Self.saveBreaker(db, json, at: nanoseconds) }
    }

    static func saveBreaker(_ db: Database, _ json: String, at nanoseconds: Int64) throws {
        try db.cachedStatement(sql: """
            INSERT INTO breaker_state (id, snapshot, updated_ns) VALUES (1, ?, ?)
            ON CONFLICT(id) DO UPDATE SET snapshot = excluded.snapshot, updated_ns = excluded.updated_ns
            """).execute(arguments: [json, nanoseconds])
    }

    public func loadBreaker() throws -> BreakerSnapshot? {
        let json: String? = try database.read { db in try String.fetchOne(db, sql: "SELECT snapshot FROM breaker_state WHERE id = 1") }
        return try json.map { try JSONDecoder().decode(BreakerSnapshot.self, from: Data($0.utf8)) }
    }

    public func record(_ denial: BreakerDenial, ticker: String?, at nanoseconds: Int64) throws {
        try database.write { db in
            try db.execute(sql: "INSERT INTO denials (ts_ns, code, context, ticker) VALUES (?, ?, ?, ?)",
                           arguments: [nanoseconds, denial.code.description, denial.description, ticker])
        }
    }

    public func denialCounts() throws -> [String: Int] {
        try database.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, COUNT(*) AS n FROM denials GROUP BY code") { counts[row["code"]] = row["n"] }
            return counts
        }
    }
}
