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
/// checkpoint starts the WAL over. Under sustained load no passive checkpoint is ever complete (commits
/// land while it syncs), so the WAL would grow without end (580 MB after 15,000 orders at 1,500/s): past
/// `restartFrames` a second passive checkpoint runs on the journal's writer connection, in the writers'
/// queue (first come, first served). No commit can land while it copies what the first pass left and
/// syncs (a few milliseconds, once per ~1,700 orders at most), so it is complete, and the next commit
/// starts the WAL over at its beginning. (SQLite's own restart checkpoint waits for the write lock by
/// polling, and lost to back-to-back commits for a whole second in a test; it also waits for every
/// reader, a `report` in another process included.) Durability is unchanged: a commit is in the WAL when it
/// returns (it survives the process being killed), and the WAL is synced before its pages are copied.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let failures = Failures()

    private final class Failures: Sendable {
        let count = Atomic<Int>(0)
    }
    private let worker: BackgroundWorker

    /// How often the WAL is copied back (a checkpoint with nothing to copy costs a few microseconds).
    static let period: Duration = .milliseconds(100)
    /// A WAL this long (64 MiB of 4-KiB pages, ~1,700 orders' completions) is started over even if
    /// writers must wait for it.
    static let restartFrames = 16_384

    /// `writer`: the journal's own connection, for the checkpoint that must be complete.
    init(path: String, writer: any DatabaseWriter, period: Duration = WALCheckpointer.period,
         restartFrames: Int = WALCheckpointer.restartFrames) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "journal.checkpointer"
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        self.connection = connection
        let failures = failures
        // A thread of its own at a lower priority (`BackgroundWorker`): the checkpoint's `fdatasync`s block it, nothing else.
        worker = BackgroundWorker(name: "journal-checkpoint", period: period, runsAtStart: false) {
            do {
                let frames = try connection.writeWithoutTransaction { db in try db.checkpoint(.passive).walFrameCount }
                if frames >= restartFrames { try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) } }
            } catch {
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
