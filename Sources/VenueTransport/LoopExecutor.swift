import NIOCore
import NIOPosix

/// Runs Swift tasks on a NIO event loop: the lanes' loop (`LoopExecutor.orders`). A task that prefers
/// it (`withTaskExecutorPreference`) makes its requests on the thread that writes to the socket and is
/// resumed there by the answer: a job enqueued from the loop runs in the loop's next pass, where each
/// hop between the concurrency pool and the loop is a thread wake-up (several µs of CPU, tens of µs of
/// latency on an idle core). `ClientCPU` measures the client this way.
///
/// Work on this executor shares the loop with the connections' I/O: nothing that runs here may block
/// (every wait is an `await`).
public final class LoopExecutor: TaskExecutor {
    public let loop: any EventLoop
    /// The group of a loop made for this executor alone (kept while the executor lives).
    private let ownGroup: MultiThreadedEventLoopGroup?

    public init(loop: any EventLoop) {
        self.loop = loop
        ownGroup = nil
    }

    /// An event loop on a thread of its own, for a server whose sockets and serving tasks must not wait
    /// behind the concurrency pool: the run's admin server (an operator's `halt` while the pool is busy).
    public init(ownThread: Void) {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        ownGroup = group
        loop = group.next()
    }

    /// The executor of every order lane's event loop.
    public static let orders = LoopExecutor(loop: OrderLane.sharedLoop)

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
