import Foundation
import KalshiWire
import Markets
import Synchronization

/// One HTTP request as the simulator sees it.
struct SimHTTPRequest: Sendable {
    let method: String
    /// Full path without the query string (`/trade-api/v2/markets`).
    let path: String
    let query: [(name: String, value: String)]
    /// Header names lower-cased.
    let headers: [String: String]
    let body: Data
}

/// What the connection handler does with a request.
enum SimReply: Sendable {
    case respond(status: Int, body: Data)
    /// Close the connection without answering (the request may have been applied).
    case drop
}

/// The context a route handler gets.
struct SimCall: Sendable {
    let exchange: SimExchange
    /// The authenticated account, or `nil` on a public request without auth headers.
    let account: String?
    let params: [String: String]
    let query: [(name: String, value: String)]
    let body: Data
    /// How far this route's reads lag the matching engine (the `stale_ms` fault).
    var staleness: Duration = .zero

    func value(_ name: String) -> String? { query.last { $0.name == name }?.value }
    func values(_ name: String) -> [String] {
        query.filter { $0.name == name }.flatMap { $0.value.split(separator: ",").map(String.init) }
    }

    func integer(_ name: String, default fallback: Int) -> Result<Int, SimError> {
        guard let text = value(name) else { return .success(fallback) }
        guard let value = Int(text) else { return .failure(.badRequest("\(name) must be an integer")) }
        return .success(value)
    }

    func decode<T: Decodable>(_ type: T.Type) -> Result<T, SimError> {
        do { return .success(try KalshiJSON.decoder().decode(T.self, from: body)) } catch {
            return .failure(.badRequest(KalshiJSON.describe(error)))
        }
    }
}

/// Kalshi-exact rate limiting per API key (anonymous requests share one pair of buckets).
final class SimRateLimits: Sendable {
    private struct Buckets {
        var read: TokenBucket<ContinuousClock>
        var write: TokenBucket<ContinuousClock>
    }
    private let clock = ContinuousClock()
    private let tier: KalshiRateTier
    private let buckets = Mutex<[String: Buckets]>([:])

    init(tier: KalshiRateTier) { self.tier = tier }

    func take(_ cost: Int, from bucket: RateBucket, key: String) -> Bool {
        let now = clock.now
        return buckets.withLock { all in
            var pair = all[key] ?? Buckets(
                read: TokenBucket(refillPerSecond: tier.readTokensPerSecond, capacity: tier.readTokensPerSecond, now: now),
                write: TokenBucket(refillPerSecond: tier.writeTokensPerSecond, capacity: tier.writeTokensPerSecond, now: now))
            defer { all[key] = pair }
            return bucket == .read ? pair.read.tryTake(cost, now: now) : pair.write.tryTake(cost, now: now)
        }
    }
}

/// A route: method, path pattern under the API root (`{name}` segments are parameters), cost, auth.
struct SimRoute: Sendable {
    let method: String
    let segments: [String]
    let requiresAuth: Bool
    let bucket: RateBucket
    let cost: @Sendable (SimCall) -> Int
    let handler: @Sendable (SimCall) async -> (status: Int, body: Data)

    /// The route's name, used for fault rules: `POST /portfolio/events/orders/{order_id}/amend`.
    var name: String { "\(method) /" + segments.joined(separator: "/") }

    func match(method: String, segments path: [Substring]) -> [String: String]? {
        guard method == self.method else { return nil }
        return Self.match(segments, path)
    }

    /// The parameters of `path` under a pattern of segments (`{name}` matches any one segment).
    static func match(_ pattern: [String], _ path: [Substring]) -> [String: String]? {
        guard path.count == pattern.count else { return nil }
        var params: [String: String] = [:]
        for (expected, actual) in zip(pattern, path) {
            if expected.hasPrefix("{") {
                params[String(expected.dropFirst().dropLast())] = String(actual).removingPercentEncoding ?? String(actual)
            } else if expected != actual {
                return nil
            }
        }
        return params
    }
}

/// Dispatches requests: latency and fault rules, authentication, rate limits, then the route.
final class SimRouter: Sendable {
    static let prefix = "/trade-api/v2"
    static let webSocketPath = "/trade-api/ws/v2"

    let exchange: SimExchange
    let keys: SimKeyRegistry
    let faults: SimFaults
    /// `nil` when rate limits are off (benchmarks).
    let limits: SimRateLimits?
    let routes: [SimRoute]

    init(exchange: SimExchange, keys: SimKeyRegistry, faults: SimFaults, tier: KalshiRateTier, rateLimits: Bool = true) {
        self.exchange = exchange
        self.keys = keys
        self.faults = faults
        limits = rateLimits ? SimRateLimits(tier: tier) : nil
        routes = SimRoutes.all
    }

    static func json(_ status: Int, _ value: some Encodable) -> (status: Int, body: Data) {
        (status, (try? KalshiJSON.encoder().encode(value)) ?? Data("{}".utf8))
    }

    static func error(_ error: SimError) -> SimReply {
        let encoded = json(error.status, error.body)
        return .respond(status: encoded.status, body: encoded.body)
    }

    static let tooManyRequests = SimReply.respond(status: 429, body: Data(#"{"error":"too many requests"}"#.utf8))

    func handle(_ request: SimHTTPRequest) async -> SimReply {
        if request.path == Self.webSocketPath {
            // A WebSocket upgrade that was refused lands here: say why.
            let nowMs = await exchange.nowMs
            switch keys.authenticate(headers: request.headers, method: request.method, path: request.path, nowMs: nowMs) {
            case let .failure(error): return Self.error(error)
            case .success(nil): return Self.error(SimError(401, "unauthorized", "authentication required", details: "missing KALSHI-ACCESS-* headers"))
            case .success: return Self.error(SimError(400, "bad_request", "expected a WebSocket upgrade"))
            }
        }
        guard request.path.hasPrefix(Self.prefix) else { return Self.error(SimError(404, "not_found", "no such path")) }
        let segments = request.path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: true)
        var matched: (SimRoute, [String: String])?
        for route in routes {
            if let params = route.match(method: request.method, segments: segments) { matched = (route, params); break }
        }
        guard let (route, params) = matched else {
            return Self.error(SimError(404, "not_found", "no route for \(request.method) \(request.path)"))
        }

        let latency = faults.latency(for: route.name)
        if latency > .zero { try? await Task.sleep(for: latency) }

        let nowMs = await exchange.nowMs
        let account: String?
        switch keys.authenticate(headers: request.headers, method: request.method, path: request.path, nowMs: nowMs) {
        case let .failure(error): return Self.error(error)
        case let .success(id): account = id
        }
        if route.requiresAuth, account == nil {
            return Self.error(SimError(401, "unauthorized", "authentication required", details: "missing KALSHI-ACCESS-* headers"))
        }
        let call = SimCall(exchange: exchange, account: account, params: params, query: request.query, body: request.body,
                           staleness: faults.staleness(for: route.name))
        if let limits, !limits.take(route.cost(call), from: route.bucket, key: account ?? "anonymous") { return Self.tooManyRequests }

        let action = faults.action(for: route.name)
        switch action {
        case .rateLimit: return Self.tooManyRequests
        case .unavailable: return Self.error(SimError(503, "service_unavailable", "service unavailable"))
        case .serverError(afterApplying: false): return Self.error(SimError(500, "internal_error", "internal error"))
        default: break
        }
        if let account { await exchange.openAccount(account) }
        let result = await route.handler(call)
        switch action {
        case .serverError(afterApplying: true): return Self.error(SimError(500, "internal_error", "internal error"))
        case .dropAfterApplying: return .drop
        case .malformedAfterApplying: return .respond(status: 200, body: Data("{\"order_id\": <html>oops".utf8))
        default: return .respond(status: result.status, body: result.body)
        }
    }
}
