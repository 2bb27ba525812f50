/// What an executor keeps per tracked order to sleep until an event changes it: whether something
/// changed since it last looked, and the execution waiting to hear it.
public struct ChangeSignal: Sendable {
    var changed = false
    var waiter: CheckedContinuation<Void, Never>?

    public init() {}
}

/// A venue executor that follows its orders by events (the account channel, the user channel): an
/// order's execution sleeps in `waitForChange` until `wake` says an event moved it, or a deadline passes.
public protocol ChangeTracking: Actor {
    associatedtype WaitClock: Clock where WaitClock.Duration == Duration
    var waitClock: WaitClock { get }
    /// The signal of a tracked order; `nil` once the order is no longer tracked.
    func changeSignal(_ orderID: String) -> ChangeSignal?
    /// Replaces the signal of a tracked order (ignored when it is no longer tracked).
    func setChangeSignal(_ orderID: String, _ signal: ChangeSignal)
}

extension ChangeTracking {
    /// Suspends until an event changes the order or `deadline` passes; returns whether something changed
    /// (an order no longer tracked counts as changed).
    public func waitForChange(_ orderID: String, until deadline: WaitClock.Instant) async -> Bool {
        guard var signal = changeSignal(orderID) else { return true }
        if signal.changed {
            signal.changed = false
            setChangeSignal(orderID, signal)
            return true
        }
        let clock = waitClock
        let timer = Task { [weak self] in
            do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return }
            await self?.wake(orderID, changed: false)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            guard var signal = changeSignal(orderID) else { return continuation.resume() }
            signal.waiter = continuation
            setChangeSignal(orderID, signal)
        }
        timer.cancel()
        guard var after = changeSignal(orderID) else { return true }
        let changed = after.changed
        after.changed = false
        setChangeSignal(orderID, after)
        return changed
    }

    /// Wakes the order's execution; `changed` records that an event moved it (a timer only wakes).
    public func wake(_ orderID: String, changed: Bool = true) {
        guard var signal = changeSignal(orderID) else { return }
        if changed { signal.changed = true }
        let waiter = signal.waiter
        signal.waiter = nil
        setChangeSignal(orderID, signal)
        waiter?.resume()
    }
}
