import ExecutorTesting
import Markets
import Testing
@testable import Execution

@Suite("Order manager pricing")
struct OrderManagerTests {
    static func input(ask: String, edge: String, grid: PriceGrid = .linearCent) -> PricingInput {
        PricingInput(side: .yes, ask: price(ask), edge: (try? Dollars(parsing: edge)) ?? .zero, grid: grid)
    }

    static func manager(offset: String = "0.01") -> OrderManager {
        var policy = OrderPricingPolicy()
        policy.offset = (try? Dollars(parsing: offset)) ?? .zero
        return OrderManager(policy: policy)
    }

    @Test("first limit is ask + offset on the grid; retries improve by a step up to the cap")
    func retries() {
        let m = Self.manager()
        let input = Self.input(ask: "0.48", edge: "0.07")
        #expect(m.limit(for: input, attempt: 0) == .order(limit: price("0.49")))
        #expect(m.limit(for: input, attempt: 1) == .order(limit: price("0.50")))
        #expect(m.limit(for: input, attempt: 3) == .order(limit: price("0.52")), "improvement capped at 3¢")
        guard case .abort = m.limit(for: input, attempt: 4) else { Issue.record("retried past the limit"); return }
    }

    @Test("never above the signal's edge; sub-cent grids round down")
    func edgeCap() {
        let m = Self.manager(offset: "0.05")
        #expect(m.limit(for: Self.input(ask: "0.48", edge: "0.02"), attempt: 0) == .order(limit: price("0.50")))
        #expect(m.limit(for: Self.input(ask: "0.055", edge: "0.0015", grid: .taperedDeciCent), attempt: 0) == .order(limit: price("0.056")))
        #expect(m.limit(for: Self.input(ask: "0.48", edge: "0.005"), attempt: 0) == .order(limit: price("0.48")), "0.485 rounds down to the ask")
        guard case .abort = m.limit(for: Self.input(ask: "0.48", edge: "0.005"), attempt: 1) else { Issue.record("retry with no room"); return }
    }

    @Test("slippage beyond the limit aborts")
    func slippage() {
        let m = Self.manager()
        #expect(m.checkSlippage(expected: price("0.50"), average: Dollars(micros: 515_000)) == nil)
        guard case .abort = m.checkSlippage(expected: price("0.50"), average: Dollars(micros: 525_000)) else { Issue.record("no abort"); return }
    }

    @Test("the active table keeps working orders and prunes terminal ones")
    func activeTable() throws {
        var m = Self.manager()
        var order = OrderLifecycle(clientOrderID: "c-1", requested: contracts("5"))
        try order.markSubmitted()
        m.track(order)
        #expect(m.active.count == 1)
        try order.cancel()
        m.track(order)
        #expect(m.active.isEmpty)
    }
}
