/// At most `limit` units held at once; the others wait in arrival order.
///
/// A transport takes its rate-limit tokens only after passing the gate sized to its connection pool, so
/// a request takes tokens when a connection can carry it at once: requests never queue inside the pool
/// after being paced, where a slow moment would release them to the venue together.
///
/// A holder may take several units (`enter(weight:)`: a write gate counts the venue's tokens, so a batch
/// of twenty cancels holds what it costs). A weight above `limit` holds the whole gate. Arrival order is
/// kept: a light request never overtakes a heavy one waiting ahead of it.
public actor ConcurrencyGate {
    private let limit: Int
    /// Units held now.
    public private(set) var held = 0
    private var waiting: [(weight: Int, continuation: CheckedContinuation<Void, Never>)] = []
    /// Holders waiting to enter.
    public var waiters: Int { waiting.count }

    public init(limit: Int) { self.limit = max(1, limit) }

    private func units(_ weight: Int) -> Int { min(max(1, weight), limit) }

    public func enter(weight: Int = 1) async {
        let units = units(weight)
        if waiting.isEmpty, held + units <= limit {
            held += units
            return
        }
        await withCheckedContinuation { waiting.append((units, $0)) }
    }

    /// Gives back what `enter(weight:)` took and lets in the waiters, in order, that now fit.
    public func leave(weight: Int = 1) {
        held = max(0, held - units(weight))
        while let next = waiting.first, held + next.weight <= limit {
            waiting.removeFirst()
            held += next.weight
            next.continuation.resume()
        }
    }
}
