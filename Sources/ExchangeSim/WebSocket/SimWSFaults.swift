import Synchronization

/// One-shot faults for the simulator's WebSocket sessions. Each queued fault fires once, on the next
/// session event it applies to, then is gone.
public enum SimWSFault: Sendable, Hashable {
    /// Close the connection at once (no close frame).
    case dropConnection
    /// The next sequenced message is sent with its `seq` one higher: the client sees a gap.
    case skipSequence
    /// The next sequenced message is held back and sent after the one that follows it.
    case reorder
    /// The next data message is sent twice.
    case duplicate
    /// A frame that is not JSON is sent before the next data message.
    case malformedFrame
    /// Nothing at all (no data, no pings, no pongs) is sent for this long.
    case stall(Duration)
    /// The subscription of the next data message's channel dies with this error code (10 or 25).
    case terminalError(code: Int)
}

/// One-shot faults for the Kalshi simulator's WebSocket sessions.
public typealias SimWSFaults = SimFaultQueue<SimWSFault>

/// Fault queue shared by every session of one simulator.
public final class SimFaultQueue<Fault: Sendable>: Sendable {
    private let queue = Mutex<[Fault]>([])

    public init() {}

    public func inject(_ fault: Fault) { queue.withLock { $0.append(fault) } }

    public var pending: Int { queue.withLock { $0.count } }

    /// Removes and returns the first queued fault matching `predicate`.
    func take(where predicate: (Fault) -> Bool) -> Fault? {
        queue.withLock { faults in
            guard let index = faults.firstIndex(where: predicate) else { return nil }
            return faults.remove(at: index)
        }
    }
}
