/// At most `limit` holders at once; the others wait in arrival order.
///
/// A transport takes its rate-limit tokens only after passing the gate sized to its connection pool, so
/// a request takes tokens when a connection can carry it at once: requests never queue inside the pool
/// after being paced, where a slow moment would release them to the venue together.
public actor ConcurrencyGate {
    private let limit: Int
    private var holders = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = max(1, limit) }

    public func enter() async {
        if holders < limit {
            holders += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Hands the place to the next waiter, if any.
    public func leave() {
        if waiting.isEmpty {
            holders = max(0, holders - 1)
        } else {
            waiting.removeFirst().resume()
        }
    }
}
