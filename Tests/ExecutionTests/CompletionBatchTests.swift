import ExecutorTesting
import Foundation
import GRDB
import Markets
import Synchronization
import Testing
@testable import Execution

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
