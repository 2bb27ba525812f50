import Foundation
import Markets
import Synchronization
import Testing

@Suite("BackgroundWorker: ahead-of-need work on a thread of its own")
struct BackgroundWorkerTests {
    final class Runs: Sendable {
        let count = Atomic<Int>(0)
        let niceness = Atomic<Int32>(-100)
    }

    /// Polls `condition` for up to 30 s (the worker is a real thread, at a low priority on a busy machine).
    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<3_000 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("runs once at start, once more per wake (wakes before it runs coalesce), at a lower priority on its own thread; stop ends it")
    func wakes() async {
        let runs = Runs()
        let worker = BackgroundWorker(name: "test-worker", delay: .milliseconds(1)) {
            #if os(Linux)
            runs.niceness.store(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0), ordering: .relaxed)
            #endif
            runs.count.add(1, ordering: .relaxed)
        }
        #expect(await eventually { runs.count.load(ordering: .relaxed) == 1 })
        worker.wake()
        #expect(await eventually { runs.count.load(ordering: .relaxed) == 2 })
        #if os(Linux)
        // The pool's threads run at niceness 0: the work ran on the worker's own thread.
        let niceness = runs.niceness.load(ordering: .relaxed)
        #expect(niceness == BackgroundWorker.niceness)
        #endif
        worker.stop()
        try? await Task.sleep(for: .milliseconds(50))
        worker.wake()
        try? await Task.sleep(for: .milliseconds(50))
        let count = runs.count.load(ordering: .relaxed)
        #expect(count == 2, "nothing runs after stop")
    }

    @Test("with a period it runs again without being woken")
    func period() async {
        let runs = Runs()
        let worker = BackgroundWorker(name: "test-periodic", period: .milliseconds(5)) { runs.count.add(1, ordering: .relaxed) }
        #expect(await eventually { runs.count.load(ordering: .relaxed) >= 3 })
        worker.stop()
    }
}
