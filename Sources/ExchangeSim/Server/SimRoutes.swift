import Foundation
import KalshiWire
import Markets

/// The simulator's REST surface under `/trade-api/v2` (kalshi.md §3, OAS 3.31.0).
enum SimRoutes {
    typealias Reply = (status: Int, body: Data)

    static func reply<T: Encodable>(_ result: Result<T, SimError>, status: Int = 200) -> Reply {
        switch result {
        case let .success(value): SimRouter.json(status, value)
        case let .failure(error): SimRouter.json(error.status, error.body)
        }
    }

    static func route(_ method: String, _ path: String, auth: Bool = false, bucket: RateBucket? = nil,
                      cost: @escaping @Sendable (SimCall) -> Int = { _ in KalshiEndpointCost.standard },
                      _ handler: @escaping @Sendable (SimCall) async -> Reply) -> SimRoute {
        SimRoute(method: method, segments: path.split(separator: "/").map(String.init), requiresAuth: auth,
                 bucket: bucket ?? (method == "GET" ? .read : .write), cost: cost, handler: handler)
    }

    /// Parses an integer query parameter (answering 400 when it is not one), then replies with `body`'s result.
    static func withInteger<T: Encodable>(_ call: SimCall, _ name: String, default fallback: Int,
                                          _ body: (Int) async -> Result<T, SimError>) async -> Reply {
        switch call.integer(name, default: fallback) {
        case let .failure(error): SimRouter.json(error.status, error.body)
        case let .success(value): reply(await body(value))
        }
    }

    /// The authenticated account (routes with `auth: true` always have one).
    static func account(_ call: SimCall) -> String { call.account ?? "anonymous" }

    static let all: [SimRoute] = marketData + orderEntry + portfolio

    static let marketData: [SimRoute] = [
        route("GET", "exchange/status") { _ in
            SimRouter.json(200, ExchangeStatus(exchangeActive: true, tradingActive: true))
        },
        route("GET", "markets/trades") { call in
            await withInteger(call, "limit", default: 100) { limit in
                await call.exchange.trades(ticker: call.value("ticker"), cursor: call.value("cursor"), limit: limit)
            }
        },
        route("GET", "markets/orderbooks") { call in
            reply(await call.exchange.orderbooks(call.values("tickers")))
        },
        route("GET", "markets") { call in
            await withInteger(call, "limit", default: 100) { limit in
                await call.exchange.listMarkets(
                    status: call.value("status"), eventTicker: call.value("event_ticker"), seriesTicker: call.value("series_ticker"),
                    tickers: call.values("tickers"), cursor: call.value("cursor"), limit: limit)
            }
        },
        route("GET", "markets/{ticker}") { call in
            reply(await call.exchange.market(call.params["ticker"] ?? ""))
        },
        route("GET", "markets/{ticker}/orderbook") { call in
            await withInteger(call, "depth", default: 0) { depth in
                await call.exchange.orderbook(call.params["ticker"] ?? "", depth: depth)
            }
        },
        route("GET", "events") { call in
            await withInteger(call, "limit", default: 200) { limit in
                await call.exchange.events(withNestedMarkets: call.value("with_nested_markets") == "true",
                                                        cursor: call.value("cursor"), limit: limit)
            }
        },
        route("GET", "series") { call in
            SimRouter.json(200, await call.exchange.seriesList())
        },
        route("GET", "series/{series_ticker}") { call in
            reply(await call.exchange.series(call.params["series_ticker"] ?? ""))
        },
        route("GET", "events/{event_ticker}") { call in
            reply(await call.exchange.event(call.params["event_ticker"] ?? "", withNestedMarkets: call.value("with_nested_markets") == "true"))
        },
    ]

    static let orderEntry: [SimRoute] = [
        route("POST", "portfolio/events/orders/batched", auth: true, cost: { call in
            KalshiEndpointCost.batchCreate(orders: (try? KalshiJSON.decoder().decode(BatchCreateOrdersV2Request.self, from: call.body))?.orders.count ?? 1)
        }) { call in
            switch call.decode(BatchCreateOrdersV2Request.self) {
            case let .failure(error): return reply(Result<BatchCreateOrdersV2Response, SimError>.failure(error))
            case let .success(batch):
                var results: [BatchCreateOrderV2Result] = []
                for order in batch.orders {
                    switch await call.exchange.createOrder(account: account(call), order) {
                    case let .success(r):
                        results.append(BatchCreateOrderV2Result(orderID: r.orderID, clientOrderID: r.clientOrderID, fillCount: r.fillCount,
                                                                remainingCount: r.remainingCount, averageFillPrice: r.averageFillPrice,
                                                                averageFeePaid: r.averageFeePaid, tsMs: r.tsMs, error: nil))
                    case let .failure(error):
                        results.append(BatchCreateOrderV2Result(orderID: nil, clientOrderID: order.clientOrderID, fillCount: nil,
                                                                remainingCount: nil, averageFillPrice: nil, averageFeePaid: nil, tsMs: nil, error: error.body))
                    }
                }
                return SimRouter.json(201, BatchCreateOrdersV2Response(orders: results))
            }
        },
        route("DELETE", "portfolio/events/orders/batched", auth: true, cost: { call in
            KalshiEndpointCost.batchCancel(orders: (try? KalshiJSON.decoder().decode(BatchCancelOrdersV2Request.self, from: call.body))?.orders.count ?? 1)
        }) { call in
            switch call.decode(BatchCancelOrdersV2Request.self) {
            case let .failure(error): return reply(Result<BatchCancelOrdersV2Response, SimError>.failure(error))
            case let .success(batch):
                var results: [BatchCancelOrderV2Result] = []
                for item in batch.orders {
                    switch await call.exchange.cancelOrder(account: account(call), orderID: item.orderID) {
                    case let .success(r):
                        results.append(BatchCancelOrderV2Result(orderID: r.orderID, clientOrderID: r.clientOrderID, reducedBy: r.reducedBy, tsMs: r.tsMs, error: nil))
                    case let .failure(error):
                        results.append(BatchCancelOrderV2Result(orderID: item.orderID, clientOrderID: nil, reducedBy: .zero, tsMs: nil, error: error.body))
                    }
                }
                return SimRouter.json(200, BatchCancelOrdersV2Response(orders: results))
            }
        },
        route("POST", "portfolio/events/orders", auth: true) { call in
            switch call.decode(CreateOrderV2Request.self) {
            case let .failure(error): return reply(Result<CreateOrderV2Response, SimError>.failure(error))
            case let .success(request): return reply(await call.exchange.createOrder(account: account(call), request), status: 201)
            }
        },
        route("DELETE", "portfolio/events/orders", auth: true, cost: { _ in KalshiEndpointCost.cancelAll }) { call in
            _ = await call.exchange.cancelAll(account: account(call))
            return (204, Data())
        },
        route("DELETE", "portfolio/events/orders/{order_id}", auth: true, cost: { _ in KalshiEndpointCost.cancel }) { call in
            reply(await call.exchange.cancelOrder(account: account(call), orderID: call.params["order_id"] ?? ""))
        },
        route("POST", "portfolio/events/orders/{order_id}/amend", auth: true) { call in
            switch call.decode(AmendOrderV2Request.self) {
            case let .failure(error): return reply(Result<AmendOrderV2Response, SimError>.failure(error))
            case let .success(request): return reply(await call.exchange.amend(account: account(call), orderID: call.params["order_id"] ?? "", request))
            }
        },
        route("POST", "portfolio/events/orders/{order_id}/decrease", auth: true) { call in
            switch call.decode(DecreaseOrderV2Request.self) {
            case let .failure(error): return reply(Result<DecreaseOrderV2Response, SimError>.failure(error))
            case let .success(request): return reply(await call.exchange.decrease(account: account(call), orderID: call.params["order_id"] ?? "", request))
            }
        },
        // The retired V1 write endpoint answers as Kalshi does since June 2026.
        route("POST", "portfolio/orders", auth: true) { _ in
            SimRouter.json(400, KalshiErrorBody(code: "invalid_parameters", message: "Please switch to the V2 endpoints"))
        },
    ]

    static let portfolio: [SimRoute] = [
        route("GET", "portfolio/orders", auth: true) { call in
            await withInteger(call, "limit", default: 100) { limit in
                await call.exchange.orders(account: account(call), ticker: call.value("ticker"), status: call.value("status"),
                                                        cursor: call.value("cursor"), limit: limit)
            }
        },
        route("GET", "portfolio/orders/{order_id}", auth: true, cost: { _ in KalshiEndpointCost.singleOrderRead }) { call in
            reply(await call.exchange.order(account: account(call), orderID: call.params["order_id"] ?? ""))
        },
        route("GET", "portfolio/fills", auth: true) { call in
            await withInteger(call, "limit", default: 100) { limit in
                await call.exchange.fills(account: account(call), ticker: call.value("ticker"), orderID: call.value("order_id"),
                                          cursor: call.value("cursor"), limit: limit, staleness: call.staleness)
            }
        },
        route("GET", "portfolio/positions", auth: true) { call in
            await withInteger(call, "limit", default: 100) { limit in
                await call.exchange.positions(account: account(call), ticker: call.value("ticker"), cursor: call.value("cursor"), limit: limit)
            }
        },
        route("GET", "portfolio/balance", auth: true) { call in
            SimRouter.json(200, await call.exchange.balance(account: account(call)))
        },
        route("GET", "account/limits", auth: true) { _ in
            let tier = KalshiRateTier.basic
            return SimRouter.json(200, GetAccountApiLimitsResponse(
                usageTier: tier.rawValue,
                read: BucketLimit(refillRate: tier.readTokensPerSecond, bucketCapacity: tier.readTokensPerSecond),
                write: BucketLimit(refillRate: tier.writeTokensPerSecond, bucketCapacity: tier.writeTokensPerSecond),
                grants: [ApiUsageLevelGrant(exchangeInstance: "event_contract", level: tier.rawValue, source: "volume")]))
        },
    ]
}
