import Synchronization

/// Orders that must leave together (an arbitrage's legs): each is held at the last step before the wire
/// until every other one is there too, then all are written in one pass, so the legs leave microseconds
/// apart rather than whenever each one's thread got a core.
///
/// Each order's task runs with its `Member` as `LaunchGate.current`. The connection that writes the order
/// `arrive`s with its write; an order that goes another way (refused before sending, a busy order lane, a
/// remote trader, paper) `withdraw`s, and is no longer waited for. The last to arrive or withdraw releases
/// the held writes: the first held write's `perform` gets the whole batch (the writer knows how to put
/// several of its requests on the wire at once: every request staged, then every connection flushed).
/// A write is never held longer than `hold`: whoever holds one arms a timer that calls `expire`. A
/// member acts once; later requests of the same task (a retry, a cancel) pass straight through.
public final class LaunchGate: Sendable {
    /// The member of the order the current task is executing, if it belongs to a group.
    @TaskLocal public static var current: Member?

    /// One request ready for the wire, and how a batch of them is written.
    public struct Write: Sendable {
        public let request: any Sendable
        public let perform: @Sendable ([any Sendable]) -> Void

        public init(request: any Sendable, perform: @escaping @Sendable ([any Sendable]) -> Void) {
            self.request = request
            self.perform = perform
        }
    }

    /// How long a write that is ready waits for the others at most.
    public let hold: Duration
    private let state: Mutex<State>

    private struct State {
        var writes: [Write] = []
        /// Members that have not arrived or withdrawn.
        var outstanding: Int
        var released = false
    }

    /// One order's place in the group.
    public final class Member: Sendable {
        public let gate: LaunchGate
        private let acted = Atomic<Bool>(false)

        init(gate: LaunchGate) { self.gate = gate }

        /// Hands over the order's write. `true`: it is held (arm a timer for `gate.expire()` after
        /// `gate.hold`); `false`: it has been performed, now, with any writes the group was holding.
        public func arrive(_ write: Write) -> Bool {
            guard !acted.exchange(true, ordering: .acquiringAndReleasing) else {
                write.perform([write.request])
                return false
            }
            return gate.settle(write)
        }

        /// The order will not come through a gated write: the others no longer wait for it.
        public func withdraw() {
            guard !acted.exchange(true, ordering: .acquiringAndReleasing) else { return }
            gate.settle(nil)
        }
    }

    public init(members: Int, hold: Duration) {
        self.hold = hold
        state = Mutex(State(outstanding: members))
    }

    /// A member per order of the group.
    public func members(_ count: Int) -> [Member] { (0..<count).map { _ in Member(gate: self) } }

    /// Counts one member in; performs every held write when it was the last (or the gate already
    /// opened). Whether `write` is held.
    @discardableResult
    fileprivate func settle(_ write: Write?) -> Bool {
        let ready = state.withLock { state -> [Write]? in
            state.outstanding -= 1
            if let write { state.writes.append(write) }
            guard state.released || state.outstanding <= 0 else { return nil }
            state.released = true
            defer { state.writes.removeAll() }
            return state.writes
        }
        guard let ready else { return true }
        Self.perform(ready)
        return false
    }

    /// The hold ran out: whatever is held leaves now, and later arrivals are not held.
    public func expire() {
        let ready = state.withLock { state -> [Write] in
            state.released = true
            defer { state.writes.removeAll() }
            return state.writes
        }
        Self.perform(ready)
    }

    private static func perform(_ writes: [Write]) {
        guard let first = writes.first else { return }
        first.perform(writes.map(\.request))
    }
}
