import Markets
import Synchronization
import Testing

/// The gate that holds an arbitrage's legs at their writes until all are there.
@Suite("LaunchGate: a group's writes leave together")
struct LaunchGateTests {
    /// What the gate performed, batch by batch.
    final class Performed: Sendable {
        let batches = Mutex<[[String]]>([])
        func write(_ name: String) -> LaunchGate.Write {
            LaunchGate.Write(request: name) { batch in
                let names = batch.compactMap { $0 as? String }
                self.batches.withLock { $0.append(names) }
            }
        }
        var all: [[String]] { batches.withLock { $0 } }
    }

    @Test("the first write is held; the last arrival performs both in one batch, in arrival order")
    func heldUntilAll() {
        let performed = Performed()
        let gate = LaunchGate(members: 2, hold: .milliseconds(1))
        let members = gate.members(2)
        #expect(members[1].arrive(performed.write("poly")), "held: the other leg is not there yet")
        #expect(performed.all.isEmpty)
        #expect(!members[0].arrive(performed.write("kalshi")))
        #expect(performed.all == [["poly", "kalshi"]])
    }

    @Test("a leg that goes another way withdraws: the held write leaves at once, alone")
    func withdrawReleases() {
        let performed = Performed()
        let gate = LaunchGate(members: 2, hold: .milliseconds(1))
        let members = gate.members(2)
        #expect(members[0].arrive(performed.write("kalshi")))
        members[1].withdraw()
        #expect(performed.all == [["kalshi"]])
        members[1].withdraw()
        #expect(performed.all == [["kalshi"]], "a member acts once")
    }

    @Test("the hold runs out: what is held leaves, and a later arrival is not held")
    func expiry() {
        let performed = Performed()
        let gate = LaunchGate(members: 3, hold: .milliseconds(1))
        let members = gate.members(3)
        #expect(members[0].arrive(performed.write("a")))
        gate.expire()
        #expect(performed.all == [["a"]])
        #expect(!members[1].arrive(performed.write("b")), "the gate is open")
        #expect(performed.all == [["a"], ["b"]])
        gate.expire()
        #expect(performed.all == [["a"], ["b"]], "nothing is written twice")
    }

    @Test("a member's later requests (a retry, a cancel) pass straight through")
    func oneShot() {
        let performed = Performed()
        let gate = LaunchGate(members: 2, hold: .milliseconds(1))
        let members = gate.members(2)
        #expect(members[0].arrive(performed.write("order")))
        #expect(!members[0].arrive(performed.write("retry")))
        #expect(performed.all == [["retry"]], "the second request of the same leg is not held, nor does it release the first")
        #expect(!members[1].arrive(performed.write("other")))
        #expect(performed.all == [["retry"], ["order", "other"]])
    }

    @Test("every member withdrawn: nothing performed; concurrent arrivals perform every write exactly once")
    func concurrent() async {
        let performed = Performed()
        let none = LaunchGate(members: 2, hold: .milliseconds(1))
        for member in none.members(2) { member.withdraw() }
        #expect(performed.all.isEmpty)

        for round in 0..<200 {
            let gate = LaunchGate(members: 4, hold: .milliseconds(1))
            await withTaskGroup(of: Void.self) { group in
                for (index, member) in gate.members(4).enumerated() {
                    group.addTask {
                        if index == 3 { member.withdraw() } else { _ = member.arrive(performed.write("\(round)-\(index)")) }
                    }
                }
            }
        }
        let written = performed.all
        #expect(written.count == 200, "one batch per group")
        #expect(written.allSatisfy { $0.count == 3 })
        #expect(Set(written.joined()).count == 600)
    }
}
