import Foundation
import Synchronization

/// When each order request had fully arrived at the simulator, by `client_order_id`. Off unless a
/// benchmark turns it on (it parses the body a second time).
public final class SimArrivals: Sendable {
    private struct State {
        var recording = false
        var times: [String: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public var isRecording: Bool { state.withLock { $0.recording } }
    public func start() { state.withLock { $0.recording = true } }

    func record(body: Data, at instant: ContinuousClock.Instant) {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
              let id = object["client_order_id"] as? String else { return }
        state.withLock { $0.times[id] = instant }
    }

    /// Arrival times recorded so far, removing them.
    public func drain() -> [String: ContinuousClock.Instant] {
        state.withLock { state in
            defer { state.times.removeAll() }
            return state.times
        }
    }
}
