import Dispatch
import Markets
import Testing

/// A serial executor on a dispatch queue that can tell, without trapping, whether the code asking runs on it.
private final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    private static let key = DispatchSpecificKey<ObjectIdentifier>()
    private let queue = DispatchQueue(label: "bounded-concurrency-tests")

    init() { queue.setSpecific(key: Self.key, value: ObjectIdentifier(self)) }

    var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.key) == ObjectIdentifier(self) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedSerialExecutor()) }
    }
}

/// An actor on that executor, handing its work to `withBoundedConcurrency` as the venue executors do.
private actor Prober {
    private let executor = QueueExecutor()
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private(set) var handled: [Int] = []

    /// For each outcome handled: whether the handler ran on this actor.
    func run(_ items: [Int], width: Int) async -> [Bool] {
        var onActor: [Bool] = []
        await withBoundedConcurrency(items, width: width, perform: { item in
            await Task.yield()
            return item
        }) { item in
            onActor.append(executor.isCurrent)
            handled.append(item)
            // A follow-up for the first items, as a cancel-all's unanswered batch becomes single cancels.
            return item < 3 ? [item + 1_000] : []
        }
        return onActor
    }
}

@Suite("withBoundedConcurrency")
struct BoundedConcurrencyTests {
    @Test("outcomes are handled on the caller's actor, every one of them, follow-ups included")
    func handlesOnTheCallersActor() async {
        let prober = Prober()
        let onActor = await prober.run(Array(0..<40), width: 8)
        #expect(onActor.count == 43)
        #expect(onActor.allSatisfy { $0 }, "handled off the actor \(onActor.filter { !$0 }.count) time(s)")
        #expect(await prober.handled.sorted() == Array(0..<40) + [1_000, 1_001, 1_002])
    }

    @Test("chunked: consecutive pieces, the last shorter; a size below 1 counts as 1")
    func chunked() {
        #expect(Array(1...5).chunked(2).map(Array.init) == [[1, 2], [3, 4], [5]])
        #expect([Int]().chunked(3).isEmpty)
        #expect([7, 8].chunked(0).map(Array.init) == [[7], [8]])
    }
}
