import Foundation
import Markets
import PolymarketWire

/// The Polymarket simulator's REST surface: the CLOB at the root (py-clob-client-v2 `endpoints.py`, the
/// CLOB OpenAPI) and Gamma's market listing under `/gamma`.
enum PolySimRoutes {
    typealias Reply = (status: Int, body: Data)

    static func route(_ method: String, _ path: String, auth: PolyAuthLevel = .none, rate: PolyRateClass = .general,
                      _ handler: @escaping @Sendable (PolySimCall) async -> Reply) -> PolySimRoute {
        PolySimRoute(method: method, segments: path.split(separator: "/").map(String.init), auth: auth, rate: rate, handler: handler)
    }

    static func reply<T: Encodable>(_ result: Result<T, PolySimError>) -> Reply {
        switch result {
        case let .success(value): PolySimRouter.json(200, value)
        case let .failure(error): PolySimRouter.error(error.status, error.message)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ call: PolySimCall) -> T? { try? JSONDecoder().decode(T.self, from: call.body) }

    static let all: [PolySimRoute] = server + marketData + keys + orders + account + gamma

    /// Route names a `--fault` can target.
    public static var names: [String] { all.map(\.name) }

    static let server: [PolySimRoute] = [
        route("GET", "time") { call in (200, Data(String(call.exchange.configuration.now() / 1_000).utf8)) },
        route("GET", "ok") { _ in (200, Data("\"OK\"".utf8)) },
        route("GET", "version") { _ in (200, Data("{\"version\":2}".utf8)) },
    ]

    static func book(_ call: PolySimCall, token: String?) async -> Reply {
        guard let token, !token.isEmpty else { return PolySimRouter.error(400, "Invalid token id") }
        guard let book = await call.exchange.bookSummary(token: token) else { return PolySimRouter.error(404, "No orderbook exists for the requested token id") }
        return PolySimRouter.json(200, book)
    }

    static func tokenQuery<T: Encodable>(_ call: PolySimCall, _ token: String?, _ make: (PolySimMarketSpec) -> T) async -> Reply {
        guard let token, !token.isEmpty else { return PolySimRouter.error(400, "Invalid token id") }
        guard let spec = await call.exchange.market(token: token) else { return PolySimRouter.error(404, "market not found") }
        return PolySimRouter.json(200, make(spec))
    }

    private struct BookParams: Decodable { var token_id: String }

    static let marketData: [PolySimRoute] = [
        route("GET", "book", rate: .book) { call in await book(call, token: call.value("token_id")) },
        route("POST", "books", rate: .books) { call in
            guard let params = decode([BookParams].self, call) else { return PolySimRouter.error(400, "Invalid payload") }
            var books: [PolyBookSummary] = []
            for param in params { if let book = await call.exchange.bookSummary(token: param.token_id) { books.append(book) } }
            return PolySimRouter.json(200, books)
        },
        route("GET", "books", rate: .books) { call in
            var books: [PolyBookSummary] = []
            for token in call.values("token_ids") { if let book = await call.exchange.bookSummary(token: token) { books.append(book) } }
            return PolySimRouter.json(200, books)
        },
        route("GET", "tick-size") { call in
            await tokenQuery(call, call.value("token_id")) { PolyTickSizeResponse(minimumTickSize: Double($0.tick.micros) / 1_000_000) }
        },
        route("GET", "tick-size/{token_id}") { call in
            await tokenQuery(call, call.params["token_id"]) { PolyTickSizeResponse(minimumTickSize: Double($0.tick.micros) / 1_000_000) }
        },
        route("GET", "neg-risk") { call in await tokenQuery(call, call.value("token_id")) { PolyNegRiskResponse(negRisk: $0.negRisk) } },
        route("GET", "neg-risk/{token_id}") { call in await tokenQuery(call, call.params["token_id"]) { PolyNegRiskResponse(negRisk: $0.negRisk) } },
        route("GET", "fee-rate") { call in await tokenQuery(call, call.value("token_id")) { PolyFeeRateResponse(baseFee: $0.feeRateBps) } },
        route("GET", "fee-rate/{token_id}") { call in await tokenQuery(call, call.params["token_id"]) { PolyFeeRateResponse(baseFee: $0.feeRateBps) } },
    ]

    static let keys: [PolySimRoute] = [
        route("POST", "auth/api-key", auth: .l1, rate: .apiKeys) { call in
            guard let address = call.address else { return PolySimRouter.error(401, "Invalid L1 Request headers") }
            return reply(await call.exchange.createAPIKey(for: address, nonce: call.nonce))
        },
        route("GET", "auth/derive-api-key", auth: .l1, rate: .apiKeys) { call in
            guard let address = call.address else { return PolySimRouter.error(401, "Invalid L1 Request headers") }
            return reply(await call.exchange.deriveAPIKey(for: address, nonce: call.nonce))
        },
    ]

    /// Orders per `POST /orders` (the venue's documented batch limit).
    static let batchLimit = 15
    /// Order ids per `DELETE /orders` (the OpenAPI's `maxItems`).
    static let cancelLimit = 3_000

    static func place(_ request: PolyOrderRequest, _ call: PolySimCall) async -> Result<PolyOrderResponse, PolySimError> {
        guard request.owner == call.key else { return .failure(PolySimError(400, "the order owner has to be the owner of the API KEY")) }
        return await call.exchange.place(request.order, signature: request.signature, owner: call.key, type: request.orderType, postOnly: request.postOnly)
    }

    private struct CancelOne: Decodable { var orderID: String }
    private struct CancelMarket: Decodable {
        var market: String?
        var asset_id: String?
    }
    private struct Heartbeat: Decodable { var heartbeat_id: String? }
    private struct HeartbeatAnswer: Encodable { var heartbeat_id: String }

    static let orders: [PolySimRoute] = [
        route("POST", "order", auth: .l2, rate: .postOrder) { call in
            let request: PolyOrderRequest
            do throws(PolyOrderRequest.Invalid) { request = try PolyOrderRequest.decode(call.body) } catch { return PolySimRouter.error(400, error.description) }
            return reply(await place(request, call))
        },
        route("POST", "orders", auth: .l2, rate: .postOrders) { call in
            let requests: [PolyOrderRequest]
            do throws(PolyOrderRequest.Invalid) { requests = try PolyOrderRequest.decodeBatch(call.body) } catch { return PolySimRouter.error(400, error.description) }
            guard requests.count <= batchLimit else { return PolySimRouter.error(400, "Too many orders in payload, max \(batchLimit)") }
            var answers: [PolyOrderResponse] = []
            for request in requests {
                switch await place(request, call) {
                case let .success(answer): answers.append(answer)
                case let .failure(error):
                    answers.append(PolyOrderResponse(success: false, errorMsg: error.message, orderID: "", status: "", makingAmount: nil, takingAmount: nil,
                                                     transactionsHashes: nil, tradeIDs: nil))
                }
            }
            return PolySimRouter.json(200, answers)
        },
        route("DELETE", "order", auth: .l2, rate: .deleteOrder) { call in
            guard let body = decode(CancelOne.self, call) else { return PolySimRouter.error(400, "Invalid orderID") }
            return PolySimRouter.json(200, await call.exchange.cancel([body.orderID], owner: call.key))
        },
        route("DELETE", "orders", auth: .l2, rate: .deleteOrder) { call in
            guard let ids = decode([String].self, call) else { return PolySimRouter.error(400, "Invalid order payload") }
            guard ids.count <= cancelLimit else { return PolySimRouter.error(400, "Too many orders in payload, max allowed: \(cancelLimit)") }
            return PolySimRouter.json(200, await call.exchange.cancel(ids, owner: call.key))
        },
        route("DELETE", "cancel-all", auth: .l2, rate: .deleteOrder) { call in
            PolySimRouter.json(200, await call.exchange.cancelAll(owner: call.key))
        },
        route("DELETE", "cancel-market-orders", auth: .l2, rate: .deleteOrder) { call in
            guard let body = decode(CancelMarket.self, call) else { return PolySimRouter.error(400, "Invalid order payload") }
            return PolySimRouter.json(200, await call.exchange.cancelAll(owner: call.key, market: body.market, assetID: body.asset_id))
        },
        route("GET", "data/order/{id}", auth: .l2) { call in await order(call) },
        route("GET", "order/{id}", auth: .l2) { call in await order(call) },
        route("GET", "data/orders", auth: .l2) { call in
            PolySimRouter.json(200, await call.exchange.openOrders(owner: call.key, market: call.value("market"), assetID: call.value("asset_id"),
                                                                    id: call.value("id"), cursor: call.value("next_cursor")))
        },
        route("GET", "data/trades", auth: .l2) { call in await trades(call) },
        route("GET", "trades", auth: .l2) { call in await trades(call) },
        route("POST", "v1/heartbeats", auth: .l2) { call in
            let id = decode(Heartbeat.self, call)?.heartbeat_id ?? ""
            switch await call.exchange.heartbeat(owner: call.key, id: id) {
            case let .success(next): return PolySimRouter.json(200, HeartbeatAnswer(heartbeat_id: next))
            case let .failure(error): return PolySimRouter.error(error.status, error.message)
            }
        },
    ]

    static func order(_ call: PolySimCall) async -> Reply {
        guard let id = call.params["id"], id.hasPrefix("0x") else { return PolySimRouter.error(400, "Invalid orderID") }
        guard let order = await call.exchange.openOrder(id, owner: call.key) else { return PolySimRouter.error(404, "Order not found") }
        return PolySimRouter.json(200, order)
    }

    static func trades(_ call: PolySimCall) async -> Reply {
        PolySimRouter.json(200, await call.exchange.trades(owner: call.key, id: call.value("id"), market: call.value("market"),
                                                            assetID: call.value("asset_id"), cursor: call.value("next_cursor"), rest: true))
    }

    static let account: [PolySimRoute] = [
        route("GET", "balance-allowance", auth: .l2, rate: .balance) { call in await balance(call) },
        route("GET", "balance-allowance/update", auth: .l2, rate: .balanceUpdate) { call in await balance(call) },
    ]

    static func balance(_ call: PolySimCall) async -> Reply {
        guard let type = call.value("asset_type"), type == "COLLATERAL" || type == "CONDITIONAL" else { return PolySimRouter.error(400, "Invalid asset type") }
        guard let signatureType = Int(call.value("signature_type") ?? "0"), (0...2).contains(signatureType) else {
            return PolySimRouter.error(400, "Invalid signature_type")
        }
        let token = type == "CONDITIONAL" ? call.value("token_id") : nil
        if type == "CONDITIONAL", token == nil { return PolySimRouter.error(400, "Invalid token id") }
        guard let balance = await call.exchange.balance(apiKey: call.key, signatureType: signatureType, token: token) else {
            return PolySimRouter.error(401, "Unauthorized/Invalid api key")
        }
        let unlimited = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        let spenders = PolymarketExchange.allCases.map(\.contract.checksummed)
        return PolySimRouter.json(200, PolyBalanceAllowance(balance: String(balance), allowances: Dictionary(uniqueKeysWithValues: spenders.map { ($0, unlimited) })))
    }

    static let gamma: [PolySimRoute] = [
        route("GET", "gamma/markets") { call in
            func flag(_ name: String) -> Bool? { call.value(name).flatMap { Bool($0) } }
            return PolySimRouter.json(200, await call.exchange.gammaMarkets(
                slugs: call.values("slug"), conditionIDs: call.values("condition_ids"), tokenIDs: call.values("clob_token_ids"),
                active: flag("active"), closed: flag("closed"), limit: Int(call.value("limit") ?? "") ?? 100, offset: Int(call.value("offset") ?? "") ?? 0))
        },
        route("GET", "gamma/markets/slug/{slug}") { call in
            guard let market = await call.exchange.gammaMarkets(slugs: [call.params["slug"] ?? ""]).first else { return PolySimRouter.error(404, "not found") }
            return PolySimRouter.json(200, market)
        },
        route("GET", "gamma/markets/{id}") { call in
            guard let market = await call.exchange.gammaMarkets(limit: 500).first(where: { $0.id == call.params["id"] }) else {
                return PolySimRouter.error(404, "not found")
            }
            return PolySimRouter.json(200, market)
        },
    ]
}
