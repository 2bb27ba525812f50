import NIOCore

/// Runs Swift tasks on a NIO event loop: the order lanes' loop (`LoopExecutor.orders`), so an order's
/// task that prefers it (`Task(executorPreference:)`) does its last steps (venue executor, presigned
/// headers, the lane's write) on the thread that writes to the socket, and is resumed there by the
/// answer. Each hop between the concurrency pool and the loop is a thread wake-up (tens of µs of
/// latency on an idle core, several µs of CPU); on the loop there is none: a job enqueued from the loop
/// runs in the same loop's next pass.
///
/// Work on this executor shares the loop with the connections' I/O: nothing that runs here may block
/// (every wait is an `await`); signing is done ahead of need, SQLite on the journal's own thread.
public final class LoopExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(loop: any EventLoop) { self.loop = loop }

    /// The executor of every order lane's event loop.
    public static let orders = LoopExecutor(loop: OrderLane.sharedLoop)

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
