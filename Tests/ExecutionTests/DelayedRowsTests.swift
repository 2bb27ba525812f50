import ExecutorTesting
import Foundation
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
        // Hold the journal's offload queue (where the delayed insert runs), so the completion comes first
        // however late this task runs: the timer's turn waits behind the hold.
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        journal.offload.async {
            holding.signal()
            release.wait()
        }
        holding.wait()
        let rows = DelayedRows(journal: journal, delay: .milliseconds(1))
        let claim = rows.schedule(JournalTests.order("first"))
        let outcome = await claim.complete()
        release.signal()
        guard case .writeInCompletion = outcome else { Issue.record("the completion did not get the row"); return }
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
