import GRDB
import Markets
import Synchronization

/// Copies the journal's WAL back into its database file on a thread of its own, so no commit waits for it.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, and with
/// `synchronous = NORMAL` a checkpoint is where the `fdatasync`s are: two of them, milliseconds each on a
/// virtual disk. An order's completion commits about fourteen pages, so at 1,200 orders/s a commit on the
/// execution service's actor (or on the journal's offload queue) paid for a checkpoint about every 60 ms and
/// blocked the orders behind it (1,131 blocking `fdatasync`s in a 10-s run; signal → order bytes p50
/// 557–665 µs, p99 5.2–5.6 ms with the journal on disk against 315–455 µs and 1.8–2.6 ms on tmpfs).
///
/// The journal's connections turn the automatic checkpoint off (`wal_autocheckpoint = 0`); this one, on a
/// connection of its own, runs a passive checkpoint every `period`. A passive checkpoint takes no lock a
/// writer needs: commits go on appending to the WAL meanwhile, and the next commit after a complete
/// checkpoint starts the WAL over. Durability is unchanged: a commit is in the WAL when it returns (it
/// survives the process being killed), and the WAL is synced before its pages are copied, as before.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let failures = Failures()

    private final class Failures: Sendable {
        let count = Atomic<Int>(0)
    }
    private let worker: BackgroundWorker

    /// How often the WAL is copied back (a checkpoint with nothing to copy costs a few microseconds).
    static let period: Duration = .milliseconds(100)

    init(path: String, period: Duration = WALCheckpointer.period) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "journal.checkpointer"
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        self.connection = connection
        let failures = failures
        // A thread of its own at a lower priority (`BackgroundWorker`): the checkpoint's `fdatasync`s block it, nothing else.
        worker = BackgroundWorker(name: "journal-checkpoint", period: period, runsAtStart: false) {
            do { try connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) } } catch {
                // Busy or failing: the WAL keeps every commit and the next period tries again.
                failures.count.add(1, ordering: .relaxed)
            }
        }
    }

    /// Checkpoints that could not run (the next tick retries; tests and status).
    var failedCheckpoints: Int { failures.count.load(ordering: .relaxed) }

    /// One passive checkpoint now, on the caller: (frames in the WAL, frames copied back).
    func checkpointNow() throws -> (walFrameCount: Int, checkpointedFrameCount: Int) {
        try connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    func stop() { worker.stop() }

    deinit { worker.stop() }
}
