import Markets

/// One order to execute on one venue, in the trader's terms.
public struct ExecutionRequest: Sendable, Hashable {
    public var clientOrderID: String
    public var signalID: String?
    /// The venue the order goes to.
    public var platform: Platform
    /// The instrument on that venue: a Kalshi market ticker, or a Polymarket token id.
    public var ticker: String
    public var action: OrderAction
    public var side: OutcomeSide
    /// Limit price of the traded outcome.
    public var limit: Price
    public var count: Contracts
    public var timeInForce: TimeInForce
    /// How the venue charges this market's fills.
    public var fees: FeeSchedule
    /// The market's valid prices (on the YES scale) on the trading venue: a limit off it is refused before sending.
    public var grid: PriceGrid

    public init(clientOrderID: String, signalID: String? = nil, platform: Platform, ticker: String, fees: FeeSchedule, action: OrderAction,
                side: OutcomeSide, limit: Price, count: Contracts, timeInForce: TimeInForce, grid: PriceGrid) {
        self.clientOrderID = clientOrderID
        self.signalID = signalID
        self.platform = platform
        self.ticker = ticker
        self.fees = fees
        self.action = action
        self.side = side
        self.limit = limit
        self.count = count
        self.timeInForce = timeInForce
        self.grid = grid
    }

    /// A Kalshi order: the series selects the fee coefficient.
    public init(clientOrderID: String, signalID: String? = nil, ticker: String, seriesTicker: String, action: OrderAction, side: OutcomeSide,
                limit: Price, count: Contracts, timeInForce: TimeInForce, grid: PriceGrid = .linearCent) {
        self.init(clientOrderID: clientOrderID, signalID: signalID, platform: .kalshi, ticker: ticker, fees: .kalshi(seriesTicker: seriesTicker),
                  action: action, side: side, limit: limit, count: count, timeInForce: timeInForce, grid: grid)
    }

    /// The signed position change if fully filled (+ YES, − NO).
    public var positionChange: Contracts {
        action.positionSign(on: side) > 0 ? count : count.negated
    }
}

/// When, after the executor took the order, the venue acknowledged it and the first fill arrived.
public struct ExecutionTiming: Sendable, Hashable {
    public var acknowledged: Duration?
    public var firstFill: Duration?
    public init(acknowledged: Duration? = nil, firstFill: Duration? = nil) {
        self.acknowledged = acknowledged
        self.firstFill = firstFill
    }
}

/// What came of an execution.
public struct ExecutionResult: Sendable, Hashable {
    public let order: OrderLifecycle
    /// Cost (buys) or proceeds (sells) of the fills, before fees.
    public let notional: Dollars
    public let fees: Dollars
    /// Volume-weighted fill price of the traded outcome, when anything filled.
    public let averagePrice: Dollars?
    /// Why nothing was sent or filled, when that is the outcome.
    public let rejection: String?
    /// A fill the order could not take (an overfill above all): the breaker halts.
    public var fault: OrderTransitionError?
    public var timing = ExecutionTiming()
    /// Average fill price minus the price the signal expected, per contract (positive = paid more).
    public var slippage: Dollars?
    /// The signal's edge per contract times what filled, less fees: what the fills stand to make.
    public var potentialProfit: Dollars?

    public init(order: OrderLifecycle, notional: Dollars, fees: Dollars, averagePrice: Dollars?, rejection: String?) {
        self.order = order
        self.notional = notional
        self.fees = fees
        self.averagePrice = averagePrice
        self.rejection = rejection
    }

    /// Totals computed from the order's fills (notional rounded against the trader).
    public init(_ order: OrderLifecycle, rejection: String?, timing: ExecutionTiming = ExecutionTiming(), fault: OrderTransitionError? = nil) {
        let notional = (try? order.notional()) ?? .zero
        let fees = order.fills.reduce(Dollars.zero) { $0.addingSaturated($1.fee) }
        self.init(order: order, notional: notional, fees: fees, averagePrice: Dollars.average(of: notional, over: order.filled, rounding: .down),
                  rejection: rejection)
        self.timing = timing
        self.fault = fault
    }
}

/// An order made ready to go (checked, signed, funds reserved): `send` puts it on the wire and follows it
/// to its end. Orders that must leave together (the legs of an arbitrage) are all prepared first, then
/// all sent, so the slower venue's preparation does not hold one leg back.
public struct PreparedExecution: Sendable {
    public let send: @Sendable () async -> ExecutionResult
    public init(send: @escaping @Sendable () async -> ExecutionResult) { self.send = send }
}

/// The seam every execution path goes through (paper, demo, live). The circuit breaker sits in front of
/// every conforming type; nothing reaches a venue without passing it.
public protocol Executor: Sendable {
    /// Executes one order and returns when it is done (filled, cancelled, rejected) or resting.
    func execute(_ request: ExecutionRequest) async -> ExecutionResult
    /// Does what can be done before the order leaves (an executor with nothing to do ahead sends it whole).
    func prepare(_ request: ExecutionRequest) async -> PreparedExecution
    /// Cancels every resting order this executor placed; returns how many.
    func cancelAll() async -> Int
    /// Orders that may still be working on the venue (not final, and no cancel of theirs confirmed).
    func openOrders() async -> [OrderLifecycle]
    /// Positions by market (+ YES, − NO).
    func positions() async -> [String: Contracts]
}

extension Executor {
    public func prepare(_ request: ExecutionRequest) async -> PreparedExecution {
        PreparedExecution { await self.execute(request) }
    }
}
