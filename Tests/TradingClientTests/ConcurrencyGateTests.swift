import ExecutorTesting
import Testing
import VenueTransport

@Suite("Concurrency gate")
struct ConcurrencyGateTests {
    /// Enters the gate in a task of its own; the flag says once it is in.
    final class Entry: Sendable {
        let task: Task<Void, Never>
        init(_ gate: ConcurrencyGate, weight: Int, entered: @escaping @Sendable () async -> Void) {
            task = Task {
                await gate.enter(weight: weight)
                await entered()
            }
        }
    }

    actor Log {
        var entered: [String] = []
        func add(_ name: String) { entered.append(name) }
    }

    @Test("holders are weighed: a batch of twenty cancels (40 tokens) and a create (10) fill a 50-token write gate; the next waits, in arrival order, even a light one behind a heavy one")
    func weighted() async throws {
        let gate = ConcurrencyGate(limit: 50)
        let log = Log()
        await gate.enter(weight: 40)
        await gate.enter(weight: 10)
        let heavy = Entry(gate, weight: 40) { await log.add("heavy") }
        #expect(await eventually { await gate.waiters == 1 })
        let light = Entry(gate, weight: 2) { await log.add("light") }
        #expect(await eventually { await gate.waiters == 2 })
        await gate.leave(weight: 10)
        // 40 held: the heavy one does not fit yet, and the light one (which would) does not overtake it.
        #expect(await gate.waiters == 2)
        #expect(await log.entered.isEmpty)
        await gate.leave(weight: 40)
        await heavy.task.value
        await light.task.value
        #expect(await log.entered == ["heavy", "light"])
        #expect(await gate.held == 42)
    }

    @Test("a weight above the limit holds the whole gate, once it is empty")
    func heavierThanTheGate() async throws {
        let gate = ConcurrencyGate(limit: 5)
        await gate.enter()
        let log = Log()
        let big = Entry(gate, weight: 100) { await log.add("big") }
        #expect(await eventually { await gate.waiters == 1 })
        await gate.leave()
        await big.task.value
        #expect(await gate.held == 5)
        await gate.leave(weight: 100)
        #expect(await gate.held == 0)
    }
}
