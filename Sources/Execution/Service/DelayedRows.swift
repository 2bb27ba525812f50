import Dispatch
import Synchronization

/// Orders' SQLite rows, written `delay` after their send unless their completion writes them first.
///
/// The intent log holds an order from before its send (and across a crash); its row follows once the
/// request is out, so the SQLite work does not compete with the send for a core. Most orders end within
/// the delay and their completion writes the row in its own transaction. One timer serves every order in
/// flight, on the journal's offload queue, and the rows that fall due together are written in one
/// transaction. (Each order had a task of its own that slept through the delay and was cancelled by the
/// completion: a task, a timer and a wake-up on the concurrency pool per order.)
final class DelayedRows: Sendable {
    /// Who writes one order's row: the delayed insert or the completion, decided once.
    final class Claim: Sendable {
        fileprivate enum State {
            case waiting
            /// The completion writes the row in its own transaction.
            case completion
            /// The delayed insert is writing it; these completions wait for its outcome.
            case inserting([CheckedContinuation<Result<Void, any Error>, Never>])
            case written(Result<Void, any Error>)
        }
        fileprivate let state = Mutex(State.waiting)

        /// What the completion must do about the row.
        enum Outcome {
            /// Write it in the completion's transaction.
            case writeInCompletion
            /// The delayed insert wrote it (or failed to, with the error).
            case inserted(Result<Void, any Error>)
        }

        /// Called once by the order's completion.
        func complete() async -> Outcome {
            enum Now { case mine, done(Result<Void, any Error>), wait }
            let now = state.withLock { state -> Now in
                switch state {
                case .waiting:
                    state = .completion
                    return .mine
                case let .written(result): return .done(result)
                case .inserting: return .wait
                case .completion: return .done(.success(()))  // not reached: one completion per order
                }
            }
            switch now {
            case .mine: return .writeInCompletion
            case let .done(result): return .inserted(result)
            case .wait:
                return .inserted(await withCheckedContinuation { continuation in
                    let ready = state.withLock { state -> Result<Void, any Error>? in
                        switch state {
                        case var .inserting(waiters):
                            waiters.append(continuation)
                            state = .inserting(waiters)
                            return nil
                        case let .written(result): return result
                        case .waiting, .completion: return .success(())  // not reached
                        }
                    }
                    if let ready { continuation.resume(returning: ready) }
                })
            }
        }

        /// Completions waiting for the delayed insert under way (`nil`: no insert under way; for tests).
        var waitingForInsert: Int? {
            state.withLock { state in
                if case let .inserting(waiters) = state { return waiters.count }
                return nil
            }
        }

        /// The delayed insert takes the row if the completion has not.
        fileprivate func startInsert() -> Bool {
            state.withLock { state in
                guard case .waiting = state else { return false }
                state = .inserting([])
                return true
            }
        }

        fileprivate func finishInsert(_ result: Result<Void, any Error>) {
            let waiters = state.withLock { state -> [CheckedContinuation<Result<Void, any Error>, Never>] in
                defer { state = .written(result) }
                if case let .inserting(waiters) = state { return waiters }
                return []
            }
            for waiter in waiters { waiter.resume(returning: result) }
        }
    }

    private struct Due {
        let at: DispatchTime
        let order: JournalOrder
        let claim: Claim
    }

    private struct State {
        var due: [Due] = []
        var armed = false
    }

    private let journal: Journal
    private let delay: Duration
    private let state = Mutex(State())

    init(journal: Journal, delay: Duration) {
        self.journal = journal
        self.delay = delay
    }

    /// Orders whose delay has not run out yet (for tests).
    var scheduled: Int { state.withLock { $0.due.count } }

    private var delayNanoseconds: Int { Int(clamping: delay.wholeNanoseconds) }

    /// An order just sent: its row is written after the delay unless the completion claims it first.
    func schedule(_ order: JournalOrder) -> Claim {
        let claim = Claim()
        let at = DispatchTime.now() + .nanoseconds(delayNanoseconds)
        let arm = state.withLock { state -> Bool in
            state.due.append(Due(at: at, order: order, claim: claim))
            defer { state.armed = true }
            return !state.armed
        }
        if arm { journal.offload.asyncAfter(deadline: at) { self.fire() } }
        return claim
    }

    /// On the offload queue: the rows that fell due and that no completion took, in one transaction.
    private func fire() {
        let now = DispatchTime.now()
        let (ready, next) = state.withLock { state -> ([Due], DispatchTime?) in
            let ready = state.due.filter { $0.at <= now }
            state.due.removeAll { $0.at <= now }
            state.armed = !state.due.isEmpty
            return (ready, state.due.first?.at)
        }
        let taken = ready.filter { $0.claim.startInsert() }
        if !taken.isEmpty {
            let result = Result { try journal.insert(taken.map(\.order)) }
            for due in taken { due.claim.finishInsert(result) }
        }
        if let next { journal.offload.asyncAfter(deadline: next) { self.fire() } }
    }
}
