import Markets

/// How the order manager prices orders from signals.
public struct OrderPricingPolicy: Sendable, Hashable {
    /// Added to the ask for the first attempt (crossing a little improves the fill rate).
    public var offset: Dollars = Dollars(micros: 0)
    /// Added per retry after an order expired or was cancelled unfilled.
    public var improvementStep: Dollars = Dollars(micros: 10_000)
    /// Most the retries may add over the first limit in total.
    public var maxImprovement: Dollars = Dollars(micros: 30_000)
    public var maxRetries = 3
    /// Adverse difference between the average fill and the expected price that aborts the signal.
    public var maxSlippage: Dollars = Dollars(micros: 20_000)

    public init() {}
}

/// What the manager knows about the opportunity: the ask of the outcome to buy, the edge per contract the
/// signal expects at that ask, and the market's price grid.
public struct PricingInput: Sendable, Hashable {
    public var side: OutcomeSide
    public var ask: Price
    /// Expected profit per contract at `ask` (the signal's edge).
    public var edge: Dollars
    public var grid: PriceGrid

    public init(side: OutcomeSide, ask: Price, edge: Dollars, grid: PriceGrid) {
        self.side = side
        self.ask = ask
        self.edge = edge
        self.grid = grid
    }

    /// The highest price that still has no negative edge: ask + edge.
    var ceiling: Int64 { (try? ask.dollars + Dollars(micros: max(edge.micros, 0)))?.micros ?? .max }
}

/// The manager's answer for one attempt.
public enum PricingDecision: Sendable, Hashable {
    case order(limit: Price)
    case abort(reason: String)
}

/// Turns signals into priced orders and keeps the table of working orders. Pure logic: the caller sends.
public struct OrderManager: Sendable {
    public let policy: OrderPricingPolicy
    /// Working orders by client order id; terminal ones are pruned.
    public private(set) var active: [String: OrderLifecycle] = [:]

    public init(policy: OrderPricingPolicy = OrderPricingPolicy()) { self.policy = policy }

    /// The limit for attempt `attempt` (0 = first): ask + offset + attempt × step, capped by the total
    /// improvement allowed and by the signal's edge, rounded down onto the grid (a buyer never pays more).
    public func limit(for input: PricingInput, attempt: Int) -> PricingDecision {
        guard attempt <= policy.maxRetries else {
            return .abort(reason: "no fill after \(policy.maxRetries) retries")
        }
        let step = (try? policy.improvementStep * Int64(attempt))?.micros ?? .max
        let improvement = min(step, policy.maxImprovement.micros)
        let wanted = (try? input.ask.dollars + policy.offset + Dollars(micros: improvement))?.micros ?? .max
        let capped = min(wanted, input.ceiling)
        guard let raw = Price(micros: min(capped, 999_999)), let onGrid = input.grid.round(raw, .down) else {
            return .abort(reason: "no valid price at or below \(Dollars(micros: capped).wireString) on the market's grid")
        }
        // A retry is only worth sending if it improves on the previous attempt.
        if attempt > 0, case let .order(previous) = limit(for: input, attempt: attempt - 1), onGrid <= previous {
            return .abort(reason: "no room to improve on \(previous.wireString) within the edge and the grid")
        }
        return .order(limit: onGrid)
    }

    /// Aborts when the fills averaged worse than `expected` by more than the allowed slippage.
    public func checkSlippage(expected: Price, average: Dollars?) -> PricingDecision? {
        guard let average else { return nil }
        guard let slippage = try? average - expected.dollars, slippage > policy.maxSlippage else { return nil }
        return .abort(reason: "slippage \(slippage.wireString) exceeds \(policy.maxSlippage.wireString)")
    }

    /// Tracks a working order (replacing any earlier state of it) and prunes finished ones.
    public mutating func track(_ order: OrderLifecycle) {
        active[order.clientOrderID] = order.state.isTerminal ? nil : order
    }

    /// Forgets every terminal order still in the table (after reconciliation updates).
    public mutating func prune() {
        active = active.filter { !$0.value.state.isTerminal }
    }
}
