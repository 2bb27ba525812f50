import Foundation
import KalshiWire
import Markets

/// Filters for `GET /portfolio/orders`.
public struct OrderFilter: Sendable, Hashable {
    public var ticker: String?
    public var status: KalshiOrderStatus?
    public var minTs: Int64?
    public var limit = 1_000
    public init(ticker: String? = nil, status: KalshiOrderStatus? = nil) {
        self.ticker = ticker
        self.status = status
    }
}

/// A trading client refused to start.
public struct TradingClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
}

/// Order entry and account state on one Kalshi venue through the V2 order endpoints. Every write goes
/// through `OrderRequestBuilder` checks; a client for a production host cannot even be built unless the
/// venue allows production (a live run).
public final class KalshiTradingClient: Sendable {
    private let transport: KalshiTransport
    public let builder: OrderRequestBuilder

    public init(transport: KalshiTransport, allowsProduction: Bool) throws(TradingClientError) {
        let venue = TradingVenue(apiURL: transport.configuration.baseURL, allowsProduction: allowsProduction)
        if venue.isProduction, !allowsProduction {
            throw TradingClientError(description: "refusing to trade on production host \(venue.apiURL.host ?? "") outside a live run")
        }
        self.transport = transport
        builder = OrderRequestBuilder(venue: venue)
        transport.prepareOrders(.post, Self.createPath)
    }

    static let createPath = "/portfolio/events/orders"

    public func warmUp() async { await transport.warmUp() }
    /// The lanes' event loop as a task executor (`VenueHTTP.loopExecutor`): the least CPU per request
    /// for a caller that prefers it.
    public var loopExecutor: (any TaskExecutor)? { transport.loopExecutor }
    public func shutdown() async throws { try await transport.shutdown() }

    private func body(_ value: some Encodable) throws(KalshiAPIError) -> Data {
        do { return try KalshiJSON.encoder().encode(value) } catch {
            throw KalshiAPIError(.notSent(reason: "encoding failed: \(error)"), method: "POST", path: "")
        }
    }

    // MARK: Orders

    /// Places a V2 order. Throws `OrderRefusal` before sending anything wrong, `KalshiAPIError` after.
    public func createOrder(_ intent: OrderIntent, grid: PriceGrid) async throws -> CreateOrderV2Response {
        let request = try builder.request(for: intent, grid: grid)
        return try await transport.send(KalshiRequest(.post, Self.createPath, body: request.jsonBody)) { body in
            try CreateOrderV2Response(json: body)
        }
    }

    /// Cancels the rest of an order. `marketTicker` lets the exchange route to the right shard.
    public func cancelOrder(_ orderID: String, marketTicker: String?) async throws(KalshiAPIError) -> CancelOrderV2Response {
        let query: [(name: String, value: String)] = marketTicker.map { [("market_ticker", $0)] } ?? []
        return try await transport.send(
            KalshiRequest(.delete, "/portfolio/events/orders/" + KalshiRequest.segment(orderID), query: query, cost: KalshiEndpointCost.cancel),
            as: CancelOrderV2Response.self)
    }

    /// Changes price and/or size. `totalCount` is filled + desired remaining; the new price must be on
    /// the grid (checked before sending).
    public func amend(_ orderID: String, intent: OrderIntent, totalCount: Contracts, grid: PriceGrid,
                      updatedClientOrderID: String? = nil) async throws -> AmendOrderV2Response {
        var probe = intent
        probe.count = totalCount
        let checked = try builder.request(for: probe, grid: grid)
        let amend = AmendOrderV2Request(ticker: checked.ticker, side: checked.side, price: checked.price, count: totalCount,
                                        clientOrderID: intent.clientOrderID, updatedClientOrderID: updatedClientOrderID)
        return try await transport.send(
            KalshiRequest(.post, "/portfolio/events/orders/\(KalshiRequest.segment(orderID))/amend", body: body(amend)),
            as: AmendOrderV2Response.self)
    }

    /// Reduces an order by or to a count (exactly one).
    public func decrease(_ orderID: String, by reduceBy: Contracts? = nil, to reduceTo: Contracts? = nil, marketTicker: String?) async throws -> DecreaseOrderV2Response {
        guard (reduceBy == nil) != (reduceTo == nil) else {
            throw OrderRefusal(.nonPositiveCount, "decrease needs exactly one of reduce_by, reduce_to")
        }
        if let reduceBy, !reduceBy.isPositive { throw OrderRefusal(.nonPositiveCount, "reduce_by=\(reduceBy.wireString)") }
        if let reduceTo, reduceTo.hundredths < 0 { throw OrderRefusal(.nonPositiveCount, "reduce_to=\(reduceTo.wireString)") }
        let request = DecreaseOrderV2Request(reduceBy: reduceBy, reduceTo: reduceTo, marketTicker: marketTicker)
        return try await transport.send(
            KalshiRequest(.post, "/portfolio/events/orders/\(KalshiRequest.segment(orderID))/decrease", body: body(request)),
            as: DecreaseOrderV2Response.self)
    }

    /// Places several orders in one request (billed 10 tokens each). Every order is checked first; one
    /// bad order refuses the whole batch before sending.
    public func batchCreate(_ intents: [(intent: OrderIntent, grid: PriceGrid)]) async throws -> BatchCreateOrdersV2Response {
        var orders: [CreateOrderV2Request] = []
        for (intent, grid) in intents { orders.append(try builder.request(for: intent, grid: grid)) }
        return try await transport.send(
            KalshiRequest(.post, "/portfolio/events/orders/batched", body: body(BatchCreateOrdersV2Request(orders: orders)),
                          cost: KalshiEndpointCost.batchCreate(orders: orders.count)),
            as: BatchCreateOrdersV2Response.self)
    }

    public func batchCancel(_ items: [BatchCancelOrderV2Item]) async throws(KalshiAPIError) -> BatchCancelOrdersV2Response {
        try await transport.send(
            KalshiRequest(.delete, "/portfolio/events/orders/batched", body: body(BatchCancelOrdersV2Request(orders: items)),
                          cost: KalshiEndpointCost.batchCancel(orders: items.count)),
            as: BatchCancelOrdersV2Response.self)
    }

    /// Cancels every resting order on all shards (204).
    public func cancelAll() async throws(KalshiAPIError) {
        _ = try await transport.perform(KalshiRequest(.delete, "/portfolio/events/orders", cost: KalshiEndpointCost.cancelAll))
    }

    public func order(_ orderID: String) async throws(KalshiAPIError) -> KalshiOrder {
        try await transport.send(
            KalshiRequest(.get, "/portfolio/orders/" + KalshiRequest.segment(orderID), cost: KalshiEndpointCost.singleOrderRead),
            as: GetOrderResponse.self).order
    }

    public func orders(_ filter: OrderFilter = OrderFilter()) -> Paginated<KalshiOrder> {
        let transport = transport
        return Paginated { cursor in
            var query: [(name: String, value: String)] = [("limit", String(filter.limit))]
            if let ticker = filter.ticker { query.append(("ticker", ticker)) }
            if let status = filter.status { query.append(("status", status.rawValue)) }
            if let minTs = filter.minTs { query.append(("min_ts", String(minTs))) }
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await transport.send(KalshiRequest(.get, "/portfolio/orders", query: query), as: GetOrdersResponse.self)
            return (page.orders, page.cursor)
        }
    }

    /// Resolves an ambiguous submit: the order with this `client_order_id` in `ticker`, if the venue has it.
    /// Kalshi has no lookup by client order id, so this pages through the market's orders.
    public func order(clientOrderID: String, ticker: String) async throws -> KalshiOrder? {
        for try await order in orders(OrderFilter(ticker: ticker)) where order.clientOrderID == clientOrderID {
            return order
        }
        return nil
    }

    public func fills(ticker: String? = nil, orderID: String? = nil, minTs: Int64? = nil, limit: Int = 1_000) -> Paginated<KalshiFill> {
        let transport = transport
        return Paginated { cursor in
            var query: [(name: String, value: String)] = [("limit", String(limit))]
            if let ticker { query.append(("ticker", ticker)) }
            if let orderID { query.append(("order_id", orderID)) }
            if let minTs { query.append(("min_ts", String(minTs))) }
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await transport.send(KalshiRequest(.get, "/portfolio/fills", query: query), as: GetFillsResponse.self)
            return (page.fills, page.cursor)
        }
    }

    /// Unsettled market positions (event positions of each page are dropped; use `positionsPage`).
    public func positions(ticker: String? = nil) -> Paginated<KalshiMarketPosition> {
        let transport = transport
        return Paginated { cursor in
            var query: [(name: String, value: String)] = [("limit", "1000")]
            if let ticker { query.append(("ticker", ticker)) }
            if let cursor { query.append(("cursor", cursor)) }
            let page = try await transport.send(KalshiRequest(.get, "/portfolio/positions", query: query), as: GetPositionsResponse.self)
            return (page.marketPositions, page.cursor)
        }
    }

    public func balance() async throws(KalshiAPIError) -> GetBalanceResponse {
        try await transport.send(KalshiRequest(.get, "/portfolio/balance")) { body in try GetBalanceResponse(json: body) }
    }

    public func accountLimits() async throws(KalshiAPIError) -> GetAccountApiLimitsResponse {
        try await transport.send(KalshiRequest(.get, "/account/limits"), as: GetAccountApiLimitsResponse.self)
    }
}
