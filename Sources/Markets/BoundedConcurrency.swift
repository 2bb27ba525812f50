/// Runs `perform` on each item of `work`, at most `width` at once, and hands each result to `handle` as it
/// comes, on the caller's isolation (an actor's state may be changed there); what `handle` returns joins
/// the work still to start. For the many requests of one step (a cancel-all, a start-up's questions to the
/// venue) that must not go one round trip after another, nor all at once.
public func withBoundedConcurrency<Work: Sendable, Outcome: Sendable>(
    _ work: [Work], width: Int, isolation: isolated (any Actor)? = #isolation,
    perform: @escaping @Sendable (Work) async -> Outcome, handle: (Outcome) -> [Work]
) async {
    var pending = Array(work.reversed())
    await withTaskGroup(of: Outcome.self) { group in
        // A closure written in a function with an isolated parameter runs on that isolation only when it
        // captures the parameter. Without this capture the group's body ran on the global executor, and
        // `handle` changed an actor's state off the actor, racing its own methods (the Kalshi executor's
        // cancel-all and an account event woke one order's waiter twice: the process crashed at a stop).
        isolation?.assertIsolated("withBoundedConcurrency hands outcomes over on the caller's isolation")
        var inFlight = 0
        while !pending.isEmpty || inFlight > 0 {
            while inFlight < max(1, width), let next = pending.popLast() {
                group.addTask { await perform(next) }
                inFlight += 1
            }
            guard let outcome = await group.next() else { break }
            inFlight -= 1
            pending.append(contentsOf: handle(outcome).reversed())
        }
    }
}

extension Array {
    /// The array in consecutive pieces of `size` elements (at least 1), the last one possibly shorter: the
    /// requests of a cancel-all whose venue takes a bounded number of orders in one.
    public func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: Swift.max(1, size)).map { self[$0..<Swift.min($0 + Swift.max(1, size), count)] }
    }
}
