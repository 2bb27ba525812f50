import Foundation
import Synchronization

/// A thread of its own, at a lower scheduling priority, for CPU-heavy work done ahead of need (RSA
/// signatures for Kalshi's next orders, ECDSA nonces for Polymarket's).
///
/// Not a task on the concurrency pool: a 400 µs RSA signature on one of a 2-core machine's two pool
/// threads left the next order's tasks one thread, and the order waited for it. On a thread of its own
/// (nice 10 on Linux) the kernel preempts the work as soon as an order's thread wakes. The work runs once
/// at start (unless `runsAtStart` is false), again `delay` after each `wake()` (several wakes before it runs coalesce into one: the order
/// that asked is out by then), and every `period` if one is given.
public final class BackgroundWorker: Sendable {
    private final class Signals: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        let stopped = Atomic<Bool>(false)
        let woken = Atomic<Bool>(false)
    }

    private let signals = Signals()

    /// Niceness of the worker's thread (Linux: per thread; higher is lower priority).
    public static let niceness: Int32 = 10

    public init(name: String, delay: Duration = .zero, period: Duration? = nil, runsAtStart: Bool = true, work: @escaping @Sendable () -> Void) {
        let signals = signals
        let thread = Thread {
            Thread.current.name = name
            #if os(Linux)
            // PRIO_PROCESS with who = 0 sets the calling thread's niceness alone on Linux (threads are tasks).
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.niceness)
            #endif
            if runsAtStart { work() }
            while !signals.stopped.load(ordering: .acquiring) {
                let signalled: Bool
                if let period {
                    signalled = signals.semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: period.wholeNanoseconds))) == .success
                } else {
                    signals.semaphore.wait()
                    signalled = true
                }
                if signals.stopped.load(ordering: .acquiring) { break }
                if signalled, delay > .zero { Thread.sleep(forTimeInterval: Double(delay.wholeNanoseconds) / 1e9) }
                signals.woken.store(false, ordering: .releasing)
                work()
            }
        }
        thread.start()
    }

    /// Asks for the work to run again (after `delay`); cheap and non-blocking.
    public func wake() {
        guard !signals.woken.exchange(true, ordering: .acquiringAndReleasing) else { return }
        signals.semaphore.signal()
    }

    /// Ends the thread after the work in progress, if any.
    public func stop() {
        guard !signals.stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        signals.semaphore.signal()
    }
}
