import Testing
@testable import Execution

@Suite("Early events: kept for orders not placed yet, dropped for orders finished, bounded oldest first")
struct EarlyEventsTests {
    @Test("an order's events are kept in arrival order until taken, then gone")
    func keptUntilTaken() {
        var early = EarlyEvents<Int>()
        early.keep(1, for: "a")
        early.keep(2, for: "b")
        early.keep(3, for: "a")
        #expect(early.take("a") == [1, 3])
        #expect(early.take("a").isEmpty)
        #expect(early.count == 1)
    }

    @Test("late frames of an order the executor finished are not kept")
    func finishedDropped() {
        var early = EarlyEvents<Int>()
        early.finish("done")
        early.keep(1, for: "done")
        early.keep(2, for: "in-flight")
        #expect(early.count == 1)
        #expect(early.take("done").isEmpty)
        #expect(early.take("in-flight") == [2])
    }

    @Test("thousands of late frames of finished orders leave an order in flight its early fill")
    func lateFramesDoNotEvict() {
        var early = EarlyEvents<Int>(capacity: 1_000)
        early.keep(7, for: "in-flight")
        // At 2,000 orders/s most orders' own frames arrive after they finished: 5,000 such orders.
        for index in 0..<5_000 {
            early.finish("order-\(index)")
            early.keep(index, for: "order-\(index)")
        }
        #expect(early.count == 1)
        #expect(early.take("in-flight") == [7])
    }

    @Test("past the capacity, the orders heard of first are dropped, not all")
    func boundedOldestFirst() {
        var early = EarlyEvents<Int>(capacity: 3)
        for (index, id) in ["a", "b", "c", "d"].enumerated() { early.keep(index, for: id) }
        #expect(early.count == 3)
        #expect(early.take("a").isEmpty)
        #expect(early.take("b") == [1])
        // "b" was taken: the next order over the capacity drops "c", the oldest still kept.
        early.keep(4, for: "e")
        early.keep(5, for: "f")
        #expect(early.count == 3)
        #expect(early.take("c").isEmpty)
        #expect(early.take("d") == [3])
        #expect(early.take("e") == [4])
        #expect(early.take("f") == [5])
    }

    @Test("the finished orders remembered are the last ones; an older one's frames are kept again")
    func finishedBounded() {
        var early = EarlyEvents<Int>(capacity: 10, finishedCapacity: 2)
        for id in ["x", "y", "z"] { early.finish(id) }
        early.keep(1, for: "x")
        early.keep(2, for: "z")
        #expect(early.take("x") == [1])
        #expect(early.take("z").isEmpty)
    }
}
