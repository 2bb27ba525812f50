import Foundation
import Logging
import Markets
import PolymarketWire

/// The Polymarket CLOB V2 REST API (py-clob-client-v2 `endpoints.py`): books and market parameters,
/// API keys, orders, cancels, order and trade reads, balances, heartbeats, server time.
public final class PolymarketClient: Sendable {
    public let transport: PolyTransport
    private let logger: Logger

    public init(transport: PolyTransport, logger: Logger = Logger(label: "polymarket.client")) {
        self.transport = transport
        self.logger = logger
    }

    private static func json(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// The API key orders are placed for (`owner`).
    var owner: String { transport.apiCredentials?.apiKey ?? "" }

    // MARK: Server

    /// `GET /time`: the server's unix seconds.
    public func serverTime() async throws(PolyAPIError) -> Int64 { try await transport.send(PolyRequest(.get, "/time"), as: Int64.self) }

    /// Corrects `POLY_TIMESTAMP` by the server's clock (skew is a known cause of 401s).
    public func syncClock() async throws(PolyAPIError) { transport.syncClock(serverSeconds: try await serverTime()) }

    // MARK: API keys (L1)

    /// The signer's API credentials for `nonce`: created, or derived when they already exist (the
    /// official clients' `create_or_derive_api_key`). Installs them on the transport.
    @discardableResult
    public func createOrDeriveAPIKey(nonce: UInt256 = .zero) async throws(PolyAPIError) -> PolyAPICredentials {
        let made: PolyAPIKeyResponse
        do {
            made = try await transport.send(PolyRequest(.post, "/auth/api-key", auth: .l1(nonce: nonce), rate: .apiKeys))
        } catch {
            guard case .rejected(400, _) = error.kind else { throw error }
            made = try await transport.send(PolyRequest(.get, "/auth/derive-api-key", auth: .l1(nonce: nonce), rate: .apiKeys))
        }
        let credentials = PolyAPICredentials(apiKey: made.apiKey, secret: made.secret, passphrase: made.passphrase)
        transport.setCredentials(credentials)
        return credentials
    }

    // MARK: Market data (public)

    /// `GET /book?token_id=`.
    public func book(_ token: String) async throws(PolyAPIError) -> PolyBookSummary {
        try await transport.send(PolyRequest(.get, "/book", query: [("token_id", token)], rate: .book))
    }

    private struct BookParam: Encodable { var token_id: String }

    /// `POST /books`: several books in one request.
    public func books(_ tokens: [String]) async throws(PolyAPIError) -> [PolyBookSummary] {
        guard !tokens.isEmpty else { return [] }
        return try await transport.send(PolyRequest(.post, "/books", body: Self.json(tokens.map(BookParam.init)), rate: .books))
    }

    /// `GET /tick-size?token_id=`.
    public func tickSize(_ token: String) async throws(PolyAPIError) -> PolyTickSize {
        let answer: PolyTickSizeResponse = try await transport.send(PolyRequest(.get, "/tick-size", query: [("token_id", token)]))
        let micros = Int64((answer.minimumTickSize * 1_000_000).rounded())
        guard let tick = PolyTickSize(micros: micros) else {
            throw PolyAPIError(.invalidResponse(reason: "minimum_tick_size \(answer.minimumTickSize) is not a Polymarket tick"), method: "GET", path: "/tick-size")
        }
        return tick
    }

    /// `GET /neg-risk?token_id=`.
    public func negRisk(_ token: String) async throws(PolyAPIError) -> Bool {
        let answer: PolyNegRiskResponse = try await transport.send(PolyRequest(.get, "/neg-risk", query: [("token_id", token)]))
        return answer.negRisk
    }

    /// `GET /fee-rate?token_id=`: the taker fee rate in basis points.
    public func feeRate(_ token: String) async throws(PolyAPIError) -> Int64 {
        let answer: PolyFeeRateResponse = try await transport.send(PolyRequest(.get, "/fee-rate", query: [("token_id", token)]))
        return answer.baseFee
    }

    // MARK: Orders (L2)

    /// `POST /order`. The order's id is its EIP-712 hash (`order.orderID`), known before sending: an
    /// ambiguous outcome is resolved by asking for that id.
    public func post(_ order: SignedPolyOrder, type: PolyOrderType, postOnly: Bool = false) async throws(PolyAPIError) -> PolyOrderResponse {
        try await post(body: body(order, type: type, postOnly: postOnly))
    }

    /// The `POST /order` body of `order` for this key: made ahead of sending (while the other legs are
    /// prepared), then sent with `post(body:)`.
    public func body(_ order: SignedPolyOrder, type: PolyOrderType, postOnly: Bool = false) -> Data {
        Data(order.postBody(owner: owner, orderType: type, postOnly: postOnly).utf8)
    }

    /// `POST /order` with a body from `body(_:type:postOnly:)`.
    public func post(body: Data) async throws(PolyAPIError) -> PolyOrderResponse {
        try await transport.send(PolyRequest(.post, "/order", body: body, auth: .l2, rate: .postOrder, isWrite: true))
    }

    /// `POST /orders`: up to 15 orders in one request; each answer says whether its order was taken.
    public func post(batch: [(order: SignedPolyOrder, type: PolyOrderType)]) async throws(PolyAPIError) -> [PolyOrderResponse] {
        let body = "[" + batch.map { $0.order.postBody(owner: owner, orderType: $0.type) }.joined(separator: ",") + "]"
        return try await transport.send(PolyRequest(.post, "/orders", body: Data(body.utf8), auth: .l2, rate: .postOrders, isWrite: true))
    }

    private struct CancelOne: Encodable { var orderID: String }
    private struct CancelMarket: Encodable {
        var market: String?
        var asset_id: String?
    }

    /// `DELETE /order`.
    public func cancel(orderID: String) async throws(PolyAPIError) -> PolyCancelResponse {
        try await transport.send(PolyRequest(.delete, "/order", body: Self.json(CancelOne(orderID: orderID)), auth: .l2, rate: .deleteOrder, isWrite: true))
    }

    /// `DELETE /orders`.
    public func cancel(orderIDs: [String]) async throws(PolyAPIError) -> PolyCancelResponse {
        try await transport.send(PolyRequest(.delete, "/orders", body: Self.json(orderIDs), auth: .l2, rate: .deleteOrder, isWrite: true))
    }

    /// `DELETE /cancel-all`: every open order of this key.
    public func cancelAll() async throws(PolyAPIError) -> PolyCancelResponse {
        try await transport.send(PolyRequest(.delete, "/cancel-all", auth: .l2, rate: .deleteOrder, isWrite: true))
    }

    /// `DELETE /cancel-market-orders`: open orders of one market (condition) and/or token.
    public func cancelMarket(market: String?, assetID: String?) async throws(PolyAPIError) -> PolyCancelResponse {
        try await transport.send(PolyRequest(.delete, "/cancel-market-orders", body: Self.json(CancelMarket(market: market, asset_id: assetID)), auth: .l2,
                                             rate: .deleteOrder, isWrite: true))
    }

    /// `GET /data/order/{id}`: the order, or `nil` when the venue does not know it (a filled FAK may not be
    /// listed: its trades are the evidence, see `trades`).
    public func order(_ id: String) async throws(PolyAPIError) -> PolyOpenOrder? {
        do {
            return try await transport.send(PolyRequest(.get, "/data/order/" + id, auth: .l2))
        } catch {
            if case .rejected(404, _) = error.kind { return nil }
            throw error
        }
    }

    /// `GET /data/orders`, every page: this key's open orders, optionally of one market or token.
    public func openOrders(market: String? = nil, assetID: String? = nil) async throws(PolyAPIError) -> [PolyOpenOrder] {
        try await pages("/data/orders", filters: [("market", market), ("asset_id", assetID)])
    }

    /// `GET /data/trades`, every page: this key's trades, optionally by trade id, market or token.
    public func trades(id: String? = nil, market: String? = nil, assetID: String? = nil) async throws(PolyAPIError) -> [PolyTrade] {
        try await pages("/data/trades", filters: [("id", id), ("market", market), ("asset_id", assetID)])
    }

    private func pages<T: Codable & Sendable & Hashable>(_ path: String, filters: [(String, String?)]) async throws(PolyAPIError) -> [T] {
        var cursor = "MA=="
        var all: [T] = []
        for _ in 0..<1_000 {
            var query = filters.compactMap { name, value in value.map { (name: name, value: $0) } }
            query.append((name: "next_cursor", value: cursor))
            let page: PolyPage<T> = try await transport.send(PolyRequest(.get, path, query: query, auth: .l2))
            all += page.data
            guard page.nextCursor != PolyPage<T>.endCursor, !page.nextCursor.isEmpty, page.nextCursor != cursor else { return all }
            cursor = page.nextCursor
        }
        return all
    }

    // MARK: Balances (L2)

    /// pUSD available, in millionths of a dollar.
    public func collateralBalance(signatureType: PolySignatureType) async throws(PolyAPIError) -> Int64 {
        try await balance([("asset_type", "COLLATERAL"), ("signature_type", String(signatureType.rawValue))])
    }

    /// Shares of `token` held, in millionths of a share.
    public func tokenBalance(_ token: String, signatureType: PolySignatureType) async throws(PolyAPIError) -> Int64 {
        try await balance([("asset_type", "CONDITIONAL"), ("token_id", token), ("signature_type", String(signatureType.rawValue))])
    }

    private func balance(_ query: [(name: String, value: String)]) async throws(PolyAPIError) -> Int64 {
        let answer: PolyBalanceAllowance = try await transport.send(PolyRequest(.get, "/balance-allowance", query: query, auth: .l2, rate: .balance))
        guard let micros = Int64(answer.balance) else {
            throw PolyAPIError(.invalidResponse(reason: "balance \"\(answer.balance.prefix(40))\" is not an integer"), method: "GET", path: "/balance-allowance")
        }
        return micros
    }

    // MARK: Heartbeats (L2)

    private struct Heartbeat: Codable { var heartbeat_id: String }

    /// `POST /v1/heartbeats`: `""` first, then the id the previous answer gave. Returns the next id.
    public func heartbeat(_ id: String) async throws(PolyAPIError) -> String {
        let answer: Heartbeat = try await transport.send(PolyRequest(.post, "/v1/heartbeats", body: Self.json(Heartbeat(heartbeat_id: id)), auth: .l2))
        return answer.heartbeat_id
    }
}

/// Gamma, Polymarket's market discovery API (`POLY_GAMMA_URL`): markets by slug, condition or token.
public final class GammaClient: Sendable {
    public let transport: PolyTransport

    public init(baseURL: URL) {
        var configuration = PolyTransport.Configuration(baseURL: baseURL)
        configuration.orderLane = false
        transport = PolyTransport(configuration, signer: nil, credentials: nil, logger: Logger(label: "polymarket.gamma"))
    }

    public func shutdown() async throws { try await transport.shutdown() }

    /// `GET /markets`, every page (offset paging), filtered like Gamma.
    public func markets(slugs: [String] = [], conditionIDs: [String] = [], tokenIDs: [String] = [], active: Bool? = nil,
                        closed: Bool? = nil) async throws(PolyAPIError) -> [GammaMarket] {
        var all: [GammaMarket] = []
        let limit = 100
        for page in 0..<1_000 {
            var query: [(name: String, value: String)] = slugs.map { ("slug", $0) } + conditionIDs.map { ("condition_ids", $0) }
                + tokenIDs.map { ("clob_token_ids", $0) }
            if let active { query.append(("active", String(active))) }
            if let closed { query.append(("closed", String(closed))) }
            query += [("limit", String(limit)), ("offset", String(page * limit))]
            let markets: [GammaMarket] = try await transport.send(PolyRequest(.get, "/markets", query: query))
            all += markets
            if markets.count < limit { break }
        }
        return all
    }
}
