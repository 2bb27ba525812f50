import Markets
import Testing
@testable import Execution

func fill(_ id: String, _ count: String, _ price: String = "0.50") throws -> ExecutionFill {
    ExecutionFill(fillID: id, count: try Contracts(parsing: count), price: try Price(parsing: price),
                  fee: .zero, role: .taker, timestampNanoseconds: 0)
}

@Suite("Order state machine")
struct OrderLifecycleTests {
    static let legal: Set<[OrderState]> = [
        [.pending, .submitted], [.pending, .rejected], [.pending, .canceled], [.pending, .notPlaced], [.submitted, .notPlaced],
        [.submitted, .submitted], [.submitted, .resting], [.submitted, .partiallyFilled], [.submitted, .filled],
        [.submitted, .canceled], [.submitted, .rejected], [.submitted, .expired],
        [.resting, .partiallyFilled], [.resting, .filled], [.resting, .canceled], [.resting, .expired],
        [.partiallyFilled, .partiallyFilled], [.partiallyFilled, .filled], [.partiallyFilled, .canceled],
        [.partiallyFilled, .expired],
        [.canceled, .canceled], [.canceled, .filled], [.expired, .expired], [.expired, .filled],
    ]

    @Test("every (from, to) pair is legal exactly when the design says so", arguments: OrderState.allCases)
    func transitionTable(from: OrderState) {
        for to in OrderState.allCases {
            #expect(from.allows(to) == Self.legal.contains([from, to]), "\(from) → \(to)")
        }
    }

    @Test("filled and rejected are final")
    func finals() {
        for state in [OrderState.filled, .rejected] {
            #expect(OrderState.allCases.allSatisfy { !state.allows($0) })
        }
    }

    @Test("happy path: submit, acknowledge, partial, full; average from fills")
    func happyPath() throws {
        var order = OrderLifecycle(clientOrderID: "c", requested: try Contracts(parsing: "10"))
        try order.markSubmitted()
        try order.acknowledge(venueOrderID: "o-1")
        #expect(order.state == .resting)
        #expect(try order.apply(fill("f1", "4", "0.50")) == .applied)
        #expect(order.state == .partiallyFilled)
        #expect(order.remaining == (try Contracts(parsing: "6")))
        try order.apply(fill("f2", "6", "0.52"))
        #expect(order.state == .filled)
        #expect(try order.notional() == (try Dollars(parsing: "5.12")))
    }

    @Test("TS-15 the same fill twice is applied once")
    func duplicateFill() throws {
        var order = OrderLifecycle(clientOrderID: "c", requested: try Contracts(parsing: "10"))
        try order.markSubmitted()
        #expect(try order.apply(fill("f1", "4")) == .applied)
        #expect(try order.apply(fill("f1", "4")) == .duplicate)
        #expect(order.filled == (try Contracts(parsing: "4")))
        #expect(order.fills.count == 1)
    }

    @Test("TS-16 an overfill is an error and is not applied")
    func overfill() throws {
        var order = OrderLifecycle(clientOrderID: "c", requested: try Contracts(parsing: "10"))
        try order.markSubmitted()
        try order.apply(fill("f1", "8"))
        #expect(throws: OrderTransitionError(code: .overfill, context: "")) { try order.apply(fill("f2", "3")) }
        #expect(order.filled == (try Contracts(parsing: "8")))
    }

    @Test("TS-14 a fill racing a cancel: canceled → filled")
    func cancelRacesFill() throws {
        var order = OrderLifecycle(clientOrderID: "c", requested: try Contracts(parsing: "10"))
        try order.markSubmitted()
        try order.acknowledge(venueOrderID: "o")
        try order.apply(fill("f1", "4"))
        try order.cancel()
        try order.apply(fill("f2", "3"))
        #expect(order.state == .canceled, "a late partial keeps it canceled")
        try order.apply(fill("f3", "3"))
        #expect(order.state == .filled)
    }

    @Test("TS-07/08 an ambiguous submit stays submitted until a definitive answer")
    func ambiguous() throws {
        var order = OrderLifecycle(clientOrderID: "c", requested: try Contracts(parsing: "1"))
        try order.markSubmitted()
        try order.markAmbiguous()
        #expect(order.state == .submitted)
        #expect(order.isAmbiguous)
        try order.acknowledge(venueOrderID: "found-by-client-order-id")
        #expect(!order.isAmbiguous)
        #expect(order.state == .resting)
    }

    @Test("TS-09 rejections carry the venue's code unchanged; illegal moves are errors")
    func rejection() throws {
        var order = OrderLifecycle(clientOrderID: "c", requested: try Contracts(parsing: "1"))
        try order.markSubmitted()
        try order.reject(code: "available_balance_too_low")
        #expect(order.rejectionCode == "available_balance_too_low")
        #expect(throws: OrderTransitionError(code: .illegalTransition, context: "")) { try order.apply(fill("f", "1")) }
        var pending = OrderLifecycle(clientOrderID: "d", requested: try Contracts(parsing: "1"))
        #expect(throws: OrderTransitionError.self) { try pending.apply(fill("f", "1")) }
        #expect(throws: OrderTransitionError.self) { try pending.expire() }
        #expect(throws: OrderTransitionError.self) { try pending.apply(fill("z", "0")) }
    }
}
