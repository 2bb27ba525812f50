import Execution
import Markets

/// One leg of an arbitrage (or the order that closes a leg's excess): what to trade, where.
public struct LegRequest: Sendable, Hashable {
    public var legID: String
    public var platform: Platform
    public var action: OrderAction
    public var side: OutcomeSide
    /// Limit of the traded outcome.
    public var price: Price
    public var contracts: Contracts
    /// A Kalshi market ticker, or a Polymarket token id.
    public var instrument: String

    public init(legID: String, platform: Platform, action: OrderAction, side: OutcomeSide, price: Price, contracts: Contracts, instrument: String) {
        self.legID = legID
        self.platform = platform
        self.action = action
        self.side = side
        self.price = price
        self.contracts = contracts
        self.instrument = instrument
    }
}

/// What came of a leg.
public struct LegResult: Sendable, Hashable {
    public var legID: String
    /// The order reached its end without a rejection or a denial (it may still have filled nothing).
    public var success: Bool
    public var filled: Contracts
    /// Volume-weighted price of the traded outcome, when anything filled.
    public var averagePrice: Dollars?
    public var fees: Dollars
    public var venueOrderID: String?
    public var clientOrderID: String?
    /// From the leg's hand-over to its outcome.
    public var latency: Duration
    /// The denial, rejection or refusal, when there was one.
    public var error: String?
    /// The breaker refused the leg (nothing was sent).
    public var denied: Bool
    /// The venue has not said how the order ended (its fills may still change).
    public var ambiguous: Bool

    public init(legID: String, success: Bool, filled: Contracts = .zero, averagePrice: Dollars? = nil, fees: Dollars = .zero, venueOrderID: String? = nil,
                clientOrderID: String? = nil, latency: Duration = .zero, error: String? = nil, denied: Bool = false, ambiguous: Bool = false) {
        self.legID = legID
        self.success = success
        self.filled = filled
        self.averagePrice = averagePrice
        self.fees = fees
        self.venueOrderID = venueOrderID
        self.clientOrderID = clientOrderID
        self.latency = latency
        self.error = error
        self.denied = denied
        self.ambiguous = ambiguous
    }

    /// Cost (buy) or proceeds (sell) of what filled, before fees.
    public var notional: Dollars {
        guard let averagePrice, let price = Price(averagePrice) else { return .zero }
        return (try? price.notional(filled, rounding: .up)) ?? .zero
    }
}

/// Executes legs through the breaker, the journal and the venue's executor: the local engine's path,
/// and (next) a remote trader's.
public protocol LegExecutor: Sendable {
    /// Legs sent together (an arbitrage): one breaker decision for the group, all journaled before any is
    /// sent, then sent at once. Results in the legs' order. `markets`: the legs' markets as the caller just
    /// read them (saves looking them up again on the way to the wire), or `nil`.
    func executeLegs(_ legs: [LegRequest], markets: [ListedMarket]?, arbID: String, signalAt: ContinuousClock.Instant) async -> [LegResult]
    /// One leg on its own; `closing` marks an order that unwinds exposure (see `BreakerOrder.closing`).
    func executeLeg(_ leg: LegRequest, arbID: String, closing: Bool) async -> LegResult
    /// The most whole contracts (at most `limit`) the breaker lets these legs carry now, or its denial.
    func capacity(_ legs: [LegRequest], upTo limit: Int64) async -> Result<Contracts, BreakerDenial>
    /// Exposure that could not be closed: the breaker counts `amount` as a loss.
    func recordExposure(_ amount: Dollars, instrument: String, reason: String) async
}

/// What the engine reads from the venues before it sends anything.
public protocol ArbVenues: Sendable {
    /// The platforms this run can send orders to now (an adapter registered and, on a controller, a
    /// connected trader or local execution authorised).
    var platforms: Set<Platform> { get }
    /// Why a leg of `platform` has no execution path (the engine's abort reason).
    func noPath(_ platform: Platform) -> String
    /// The market of `instrument` on `platform` as its trading venue lists it, or `nil`.
    func market(_ platform: Platform, _ instrument: String) async -> ListedMarket?
    /// The book of a market (`ListedMarket.ticker`) on its venue.
    func book(_ platform: Platform, _ ticker: String) async -> ServedBook
    /// Cash available to buy with on `platform`, when known.
    func available(_ platform: Platform) async -> Dollars?
}

extension ArbVenues {
    public func noPath(_ platform: Platform) -> String { "this run has no \(platform.rawValue) venue" }
}

/// The execution service behind `LegExecutor`: each leg becomes an `OrderTicket` on its market.
public struct ServiceLegExecutor: LegExecutor {
    let service: ExecutionService
    let venues: any ArbVenues
    /// A leg's client order id from its leg id.
    let orderID: @Sendable (String) -> String

    /// Client order ids are `runID` (run-unique) and the leg id.
    public init(service: ExecutionService, venues: any ArbVenues, runID: String) {
        self.init(service: service, venues: venues) { "\(runID)-\($0.prefix(60))" }
    }

    /// Client order ids from `orderID` (a trader's: the same leg id always gives the same order id).
    public init(service: ExecutionService, venues: any ArbVenues, orderID: @escaping @Sendable (String) -> String) {
        self.service = service
        self.venues = venues
        self.orderID = orderID
    }

    private func ticket(_ leg: LegRequest, _ market: ListedMarket, arbID: String, signalAt: ContinuousClock.Instant, closing: Bool) -> OrderTicket {
        // A Polymarket NO token named directly is the market's NO side, kept under its YES token.
        let side = market.sideFlipped ? leg.side.opposite : leg.side
        let request = ExecutionRequest(clientOrderID: orderID(leg.legID), signalID: "arb:\(arbID)", platform: leg.platform,
                                       ticker: market.ticker, fees: market.fees, action: leg.action, side: side, limit: leg.price, count: leg.contracts,
                                       timeInForce: .immediateOrCancel, grid: market.grid)
        return OrderTicket(request: request, eventTicker: market.eventTicker, expectedPrice: leg.price, signalAt: signalAt, closing: closing)
    }

    static func result(_ leg: LegRequest, _ outcome: ExecutionOutcome, started: ContinuousClock.Instant) -> LegResult {
        let latency = started.duration(to: .now)
        switch outcome {
        case let .denied(denial):
            return LegResult(legID: leg.legID, success: false, latency: latency, error: denial.description, denied: true)
        case let .refused(reason):
            return LegResult(legID: leg.legID, success: false, latency: latency, error: reason)
        case let .executed(result):
            let order = result.order
            let ambiguous = !order.state.isTerminal && order.isAmbiguous
            let refused = order.state == .rejected || order.state == .notPlaced
            return LegResult(legID: leg.legID, success: !refused && !ambiguous, filled: order.filled, averagePrice: result.averagePrice,
                             fees: result.fees, venueOrderID: order.venueOrderID, clientOrderID: order.clientOrderID, latency: latency,
                             error: refused ? (result.rejection ?? order.rejectionCode ?? order.state.rawValue) : result.rejection,
                             ambiguous: ambiguous)
        }
    }

    public func executeLegs(_ legs: [LegRequest], markets known: [ListedMarket]?, arbID: String, signalAt: ContinuousClock.Instant) async -> [LegResult] {
        let started = ContinuousClock.now
        var tickets: [OrderTicket] = []
        for (index, leg) in legs.enumerated() {
            var market = known.flatMap { $0.indices.contains(index) && $0[index].platform == leg.platform ? $0[index] : nil }
            if market == nil { market = await venues.market(leg.platform, leg.instrument) }
            guard let market else {
                return legs.map { LegResult(legID: $0.legID, success: false, error: "market \($0.instrument) is not listed on \($0.platform.rawValue); no leg sent") }
            }
            tickets.append(ticket(leg, market, arbID: arbID, signalAt: signalAt, closing: false))
        }
        let outcomes = await service.executeGroup(tickets)
        return zip(legs, outcomes).map { Self.result($0, $1, started: started) }
    }

    public func executeLeg(_ leg: LegRequest, arbID: String, closing: Bool) async -> LegResult {
        let started = ContinuousClock.now
        guard let market = await venues.market(leg.platform, leg.instrument) else {
            return LegResult(legID: leg.legID, success: false, error: "market \(leg.instrument) is not listed on \(leg.platform.rawValue)")
        }
        let outcome = await service.execute(ticket(leg, market, arbID: arbID, signalAt: started, closing: closing))
        return Self.result(leg, outcome, started: started)
    }

    public func recordExposure(_ amount: Dollars, instrument: String, reason: String) async {
        await service.recordExposure(amount, ticker: instrument, reason: reason)
    }

    public func capacity(_ legs: [LegRequest], upTo limit: Int64) async -> Result<Contracts, BreakerDenial> {
        var markets: [ListedMarket] = []
        for leg in legs {
            guard let market = await venues.market(leg.platform, leg.instrument) else { return .success(.zero) }
            markets.append(market)
        }
        let now = ContinuousClock.now
        let listed = markets
        return await service.capacity(upTo: limit) { count in
            zip(legs, listed).map { leg, market in
                var sized = leg
                sized.contracts = count
                return ticket(sized, market, arbID: "", signalAt: now, closing: false)
            }
        }
    }
}
