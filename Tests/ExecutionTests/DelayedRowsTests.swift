import ExecutorTesting
import Foundation
import GRDB
import Markets
import Synchronization
import Testing
@testable import Execution

/// An order's row is written once: by the delayed insert, or by the completion; a completion that finds
/// the insert under way waits for its outcome before it updates the row.
@Suite("Orders' delayed rows")
struct DelayedRowsTests {
    @Test("a completion before the delay writes the row itself; the delayed insert then leaves it alone")
    func completionFirst() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        let rows = DelayedRows(journal: journal, delay: .milliseconds(1))
        let claim = rows.schedule(JournalTests.order("first"))
        guard case .writeInCompletion = await claim.complete() else { Issue.record("the completion did not get the row"); return }
        // Once the timer has taken the order (on the journal's queue), a job queued behind it runs after it.
        for _ in 0..<10_000 where rows.scheduled > 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(rows.scheduled == 0)
        try await journal.offloaded { _ in }
        #expect(try journal.order("first") == nil, "the delayed insert did not write a row the completion owns")
    }

    @Test("a completion that finds the delayed insert under way waits for it, then finds the row written")
    func completionWaitsForInsert() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        // Hold the journal's writer so the delayed insert is caught under way.
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        Thread {
            try? journal.database.write { _ in
                holding.signal()
                release.wait()
            }
        }.start()
        holding.wait()
        let rows = DelayedRows(journal: journal, delay: .milliseconds(1))
        let claim = rows.schedule(JournalTests.order("slow"))
        for _ in 0..<10_000 where claim.waitingForInsert == nil { try await Task.sleep(for: .milliseconds(1)) }
        #expect(claim.waitingForInsert == 0, "the delayed insert took the row")
        let completion = Task { await claim.complete() }
        for _ in 0..<10_000 where claim.waitingForInsert == 0 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(claim.waitingForInsert == 1, "the completion waits for the insert")
        release.signal()
        guard case .inserted(.success) = await completion.value else { Issue.record("the completion did not hear of the insert"); return }
        #expect(try journal.order("slow")?.state == .pending)
    }
}

/// Completions are committed on the journal's own thread, those that arrive while one commits in the
/// next transaction together, each in a savepoint; the breaker state written is the latest.
@Suite("Order completions committed together")
struct CompletionBatchTests {
    static func completion(_ id: String) -> OrderCompletion {
        var order = OrderLifecycle(clientOrderID: id, requested: contracts("10"))
        try? order.markSubmitted()
        try? order.acknowledge(venueOrderID: "v-" + id)
        try? order.cancel()
        return OrderCompletion(result: ExecutionResult(order, rejection: nil), ticker: "KXNFL-26JAN11-BUF", eventTicker: "KXNFL-26JAN11",
                               action: .buy, side: .no, expectedPrice: nil, latencies: [:], nanoseconds: 5)
    }

    @Test("completions that arrive while the journal's thread is busy are written in one transaction, each caller waiting for it")
    func together() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        for id in ["a", "b", "c"] { try journal.insert(JournalTests.order(id)) }
        let commits = CommitCounter()
        try await journal.database.write { db in db.add(transactionObserver: commits, extent: .databaseLifetime) }
        // The completions' thread held: the three wait together.
        let release = DispatchSemaphore(value: 0)
        journal.completionQueue.async { release.wait() }
        let breaker = SnapshotBox()
        let tasks = ["a", "b", "c"].map { id in
            Task { try await journal.completeTogether(Self.completion(id), inserting: nil) { breaker.value.withLock { $0 } } }
        }
        for _ in 0..<10_000 where journal.completionBatch.withLock({ $0.pending.count }) < 3 { try await Task.sleep(for: .milliseconds(1)) }
        #expect(try journal.order("a")?.state == .pending, "nothing is written before the journal's thread runs")
        // The breaker state the batch writes is read at commit time: the latest, not the first completion's.
        breaker.value.withLock { $0 = BreakerSnapshot(haltReason: "manual halt", day: 1, tradesToday: 3, volumeToday: .zero, realizedToday: .zero,
                                                consecutiveLosses: 0) }
        let before = commits.count
        release.signal()
        for task in tasks { #expect(try await task.value.newFills == 0) }
        #expect(commits.count - before == 1, "one transaction for the three")
        for id in ["a", "b", "c"] { #expect(try journal.order(id)?.state == .canceled) }
        #expect(try journal.loadBreaker()?.haltReason == "manual halt")
    }
}

private final class SnapshotBox: Sendable {
    let value = Mutex<BreakerSnapshot?>(nil)
}

private final class CommitCounter: TransactionObserver, @unchecked Sendable {
    private let commits = Mutex(0)
    var count: Int { commits.withLock { $0 } }
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { commits.withLock { $0 += 1 } }
    func databaseDidRollback(_ db: Database) {}
}
