import DataClient
import Execution
import Foundation
import KalshiWire
import Markets

/// One order an operator asks for by hand (`run-executor order …`, or `POST /orders` on a running
/// executor's admin API).
public struct ManualOrderRequest: Sendable, Codable, Hashable {
    /// `buy-yes`, `buy-no`, `sell-yes` or `sell-no`.
    public var intent: String
    public var ticker: String
    /// Contracts, fixed-point ("10", "2.5").
    public var count: String
    /// Limit of the traded outcome in dollars ("0.52").
    public var price: String
    /// `ioc`, `fok` or `gtc`.
    public var tif: String
    /// `kalshi` (when absent) or `polymarket`: where the order goes; `ticker` is then a token id.
    public var platform: String?

    public init(intent: String, ticker: String, count: String, price: String, tif: String, platform: String? = nil) {
        self.intent = intent
        self.ticker = ticker
        self.count = count
        self.price = price
        self.tif = tif
        self.platform = platform
    }

    /// The venue named, or the problem naming the field.
    public func venue() -> Result<Platform, ManualOrderError> {
        guard let platform else { return .success(.kalshi) }
        guard let parsed = Platform(word: platform) else { return .failure(ManualOrderError("platform: \(quoted(platform)) is not kalshi or polymarket")) }
        return .success(parsed)
    }

    /// The parsed order, or the first problem naming the field and value.
    public func parsed() -> Result<(action: OrderAction, side: OutcomeSide, count: Contracts, limit: Price, tif: TimeInForce), ManualOrderError> {
        let direction: (OrderAction, OutcomeSide)? = switch intent {
        case "buy-yes": (.buy, .yes)
        case "buy-no": (.buy, .no)
        case "sell-yes": (.sell, .yes)
        case "sell-no": (.sell, .no)
        default: nil
        }
        guard let (action, side) = direction else {
            return .failure(ManualOrderError("intent: \(quoted(intent)) is not buy-yes, buy-no, sell-yes or sell-no"))
        }
        guard !ticker.isEmpty, ticker.utf8.count <= SignalBounds.maxIdentifierLength else {
            return .failure(ManualOrderError("ticker: \(quoted(ticker)) is empty or too long"))
        }
        let maxCount = Contracts(hundredths: SignalBounds.maxContracts * Contracts.scale)
        guard let parsedCount = try? Contracts(parsing: count), parsedCount.isPositive, parsedCount <= maxCount else {
            return .failure(ManualOrderError("count: \(quoted(count)) is not a number of contracts between 0.01 and \(SignalBounds.maxContracts)"))
        }
        guard let limit = try? Price(parsing: price) else {
            return .failure(ManualOrderError("price: \(quoted(price)) is not a price strictly between 0 and 1"))
        }
        let timeInForce: TimeInForce? = switch tif {
        case "ioc": .immediateOrCancel
        case "fok": .fillOrKill
        case "gtc": .goodTillCanceled
        default: nil
        }
        guard let timeInForce else { return .failure(ManualOrderError("tif: \(quoted(tif)) is not ioc, fok or gtc")) }
        if case let .failure(problem) = venue() { return .failure(problem) }
        return .success((action, side, parsedCount, limit, timeInForce))
    }

    private func quoted(_ value: String) -> String { "\"" + String(value.prefix(64)).escapingControlCharacters + "\"" }
}

/// A manual order that could not be placed, and why.
public struct ManualOrderError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What became of a manual order, in the shape `POST /orders` answers and `order` prints.
public struct ManualOrderAnswer: Sendable, Codable {
    public struct Fill: Sendable, Codable {
        public var fillID: String
        public var contracts: String
        public var price: String
        public var fee: String

        enum CodingKeys: String, CodingKey {
            case contracts, price, fee
            case fillID = "fill_id"
        }
    }
    /// `executed`, `denied` (the breaker) or `refused` (not placed: bad input, market closed, journal).
    public var outcome: String
    public var clientOrderID: String?
    public var state: String?
    public var filled: String?
    public var averagePrice: String?
    public var fees: String?
    public var venueOrderID: String?
    public var fills: [Fill]
    /// The breaker's denial, the venue's rejection or why nothing was placed.
    public var reason: String?

    /// The wire names (snake case) are explicit: decode with a plain `JSONDecoder`.
    enum CodingKeys: String, CodingKey {
        case outcome, state, filled, fees, fills, reason
        case clientOrderID = "client_order_id"
        case averagePrice = "average_price"
        case venueOrderID = "venue_order_id"
    }

    static func refused(_ reason: String) -> ManualOrderAnswer {
        ManualOrderAnswer(outcome: "refused", fills: [], reason: reason)
    }

    init(outcome: String, clientOrderID: String? = nil, state: String? = nil, filled: String? = nil, averagePrice: String? = nil,
         fees: String? = nil, venueOrderID: String? = nil, fills: [Fill], reason: String?) {
        self.outcome = outcome
        self.clientOrderID = clientOrderID
        self.state = state
        self.filled = filled
        self.averagePrice = averagePrice
        self.fees = fees
        self.venueOrderID = venueOrderID
        self.fills = fills
        self.reason = reason
    }
}

/// Places manual orders through the same breaker, journal and executor as the loop: the market is
/// checked on its venue's listing, its book subscribed (paper fills need it), then the ticket goes to the
/// execution service.
public struct ManualOrderDesk: Sendable {
    let service: ExecutionService
    let catalog: MarketCatalog
    let polymarket: PolymarketConnection?
    /// Makes the market's book available before a paper order (throws when it cannot).
    let prepareBook: @Sendable (Platform, String) async throws -> Void

    public init(service: ExecutionService, catalog: MarketCatalog, polymarket: PolymarketConnection? = nil,
                prepareBook: @escaping @Sendable (Platform, String) async throws -> Void) {
        self.service = service
        self.catalog = catalog
        self.polymarket = polymarket
        self.prepareBook = prepareBook
    }

    /// The market of `ticker` on `platform`, as orders need it.
    func listed(_ platform: Platform, _ ticker: String) async -> ListedMarket? {
        await ListedMarket.lookup(platform, ticker, catalog: catalog, polymarket: polymarket)
    }

    public func place(_ order: ManualOrderRequest) async -> ManualOrderAnswer {
        let parsed: (action: OrderAction, side: OutcomeSide, count: Contracts, limit: Price, tif: TimeInForce)
        switch order.parsed() {
        case let .success(value): parsed = value
        case let .failure(error): return .refused(error.description)
        }
        let platform = (try? order.venue().get()) ?? .kalshi
        if platform == .polymarket, polymarket == nil { return .refused("no Polymarket venue in this run (set POLY_* variables)") }
        guard let market = await listed(platform, order.ticker) else {
            return .refused("market \(order.ticker) is not listed on the \(platform.rawValue) trading venue")
        }
        guard market.isOpen else { return .refused("market \(order.ticker) is \(market.status) on the \(platform.rawValue) trading venue") }
        do { try await prepareBook(platform, market.ticker) } catch { return .refused("\(error)") }
        // A Polymarket NO token named directly is the market's NO side, kept under its YES token.
        let side = market.sideFlipped ? parsed.side.opposite : parsed.side
        let stamp = String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36)
        let request = ExecutionRequest(clientOrderID: "manual-\(stamp)-\(UInt32.random(in: 0...UInt32.max))", platform: platform, ticker: market.ticker,
                                       fees: market.fees, action: parsed.action, side: side, limit: parsed.limit, count: parsed.count,
                                       timeInForce: parsed.tif, grid: market.grid)
        switch await service.execute(OrderTicket(request: request, eventTicker: market.eventTicker, expectedPrice: nil)) {
        case let .denied(denial):
            return ManualOrderAnswer(outcome: "denied", clientOrderID: request.clientOrderID, fills: [], reason: denial.description)
        case let .refused(reason):
            return ManualOrderAnswer(outcome: "refused", clientOrderID: request.clientOrderID, fills: [], reason: reason)
        case let .executed(result):
            let lifecycle = result.order
            return ManualOrderAnswer(
                outcome: "executed", clientOrderID: lifecycle.clientOrderID, state: lifecycle.state.rawValue, filled: lifecycle.filled.wireString,
                averagePrice: result.averagePrice?.wireString, fees: result.fees.wireString, venueOrderID: lifecycle.venueOrderID,
                fills: lifecycle.fills.map { ManualOrderAnswer.Fill(fillID: $0.fillID, contracts: $0.count.wireString, price: $0.price.wireString, fee: $0.fee.wireString) },
                reason: result.rejection)
        }
    }
}

extension LiveMarketData {
    /// Subscribes `ticker`'s book and waits (up to `timeout`) until it is fresh.
    public func waitForBook(_ ticker: String, timeout: Duration = .seconds(10)) async throws {
        try await watchBooks([ticker])
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if case .fresh = await book(ticker) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ManualOrderError("no order book for \(ticker) from the data venue within \(timeout)")
    }
}
