import Foundation
import Markets
import PolymarketWire
import Synchronization

/// Who may call a Polymarket route.
enum PolyAuthLevel: Sendable {
    case none
    /// ClobAuth EIP-712 headers (`POLY_ADDRESS`, `POLY_SIGNATURE`, `POLY_TIMESTAMP`, `POLY_NONCE`).
    case l1
    /// HMAC headers over the exact request (`POLY_API_KEY`, `POLY_PASSPHRASE`, `POLY_SIGNATURE`, …).
    case l2
}

/// The context a Polymarket route handler gets.
struct PolySimCall: Sendable {
    let exchange: PolySimExchange
    /// The API key (L2 routes).
    let owner: String?
    /// The L1 signer (L1 routes).
    let address: EthereumAddress?
    let nonce: UInt256
    let params: [String: String]
    let query: [(name: String, value: String)]
    let body: Data

    func value(_ name: String) -> String? { query.last { $0.name == name }?.value }
    func values(_ name: String) -> [String] {
        query.filter { $0.name == name }.flatMap { $0.value.split(separator: ",").map(String.init) }
    }
    var key: String { owner ?? "" }
}

struct PolySimRoute: Sendable {
    let method: String
    let segments: [String]
    let auth: PolyAuthLevel
    let rate: PolyRateClass
    let handler: @Sendable (PolySimCall) async -> (status: Int, body: Data)

    /// The route's name for fault rules: `POST /order`, `GET /data/trades`.
    var name: String { "\(method) /" + segments.joined(separator: "/") }
}

/// Dispatches Polymarket requests: latency and fault rules, L1/L2 authentication, limits, then the route.
final class PolySimRouter: Sendable {
    let exchange: PolySimExchange
    let faults: SimFaults
    let routes: [PolySimRoute]
    /// Largest accepted distance between `POLY_TIMESTAMP` and the simulator's clock.
    let timestampWindowSeconds: Int64
    private let rateLimits: Bool
    private let limits = Mutex<[String: TokenBucket<ContinuousClock>]>([:])
    private let clock = ContinuousClock()

    init(exchange: PolySimExchange, faults: SimFaults, rateLimits: Bool = true, timestampWindowSeconds: Int64 = 30) {
        self.exchange = exchange
        self.faults = faults
        self.timestampWindowSeconds = timestampWindowSeconds
        self.rateLimits = rateLimits
        routes = PolySimRoutes.all
    }

    static func json(_ status: Int, _ value: some Encodable) -> (status: Int, body: Data) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (status, (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    static func error(_ status: Int, _ message: String) -> (status: Int, body: Data) { json(status, PolyErrorBody(error: message)) }

    private static func reply(_ value: (status: Int, body: Data)) -> SimReply { .respond(status: value.status, body: value.body) }

    private func take(_ rate: PolyRateClass, key: String) -> Bool {
        guard rateLimits else { return true }
        let now = clock.now
        return limits.withLock { buckets in
            let id = rate.rawValue + "|" + key
            var bucket = buckets[id] ?? TokenBucket(refillPerSecond: max(1, rate.perTenSeconds / 10), capacity: rate.perTenSeconds, now: now)
            defer { buckets[id] = bucket }
            return bucket.tryTake(1, now: now)
        }
    }

    func handle(_ request: SimHTTPRequest) async -> SimReply {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true)
        var matched: (PolySimRoute, [String: String])?
        for route in routes where route.method == request.method {
            if let params = SimRoute.match(route.segments, segments) { matched = (route, params); break }
        }
        guard let (route, params) = matched else { return Self.reply(Self.error(404, "no route for \(request.method) \(request.path)")) }

        let latency = faults.latency(for: route.name)
        if latency > .zero { try? await Task.sleep(for: latency) }

        var owner: String?, address: EthereumAddress?, nonce = UInt256.zero
        switch route.auth {
        case .none: break
        case .l1:
            switch await authenticateL1(request) {
            case let .failure(error): return Self.reply(Self.error(error.status, error.message))
            case let .success((signer, value)): (address, nonce) = (signer, value)
            }
        case .l2:
            switch await authenticateL2(request) {
            case let .failure(error): return Self.reply(Self.error(error.status, error.message))
            case let .success(key): owner = key
            }
        }
        guard take(route.rate, key: owner ?? address?.checksummed ?? "public") else { return Self.reply(Self.error(429, "Too Many Requests")) }

        let action = faults.action(for: route.name)
        switch action {
        case .rateLimit: return Self.reply(Self.error(429, "Too Many Requests"))
        case .unavailable: return Self.reply(Self.error(503, "Trading is currently disabled. Check polymarket.com for updates"))
        case .serverError(afterApplying: false): return Self.reply(Self.error(500, "Internal server error"))
        default: break
        }
        let call = PolySimCall(exchange: exchange, owner: owner, address: address, nonce: nonce, params: params, query: request.query, body: request.body)
        let result = await route.handler(call)
        switch action {
        case .serverError(afterApplying: true): return Self.reply(Self.error(500, "order timed out"))
        case .dropAfterApplying: return .drop
        case .malformedAfterApplying: return .respond(status: 200, body: Data("{\"orderID\": <html>oops".utf8))
        default: return .respond(status: result.status, body: result.body)
        }
    }

    private func timestampFresh(_ text: String?, nowMs: Int64) -> Bool {
        guard let text, let seconds = Int64(text) else { return false }
        return abs(nowMs / 1_000 - seconds) <= timestampWindowSeconds
    }

    /// L1: the ClobAuth signature must recover to `POLY_ADDRESS`.
    private func authenticateL1(_ request: SimHTTPRequest) async -> Result<(EthereumAddress, UInt256), PolySimError> {
        let refused = PolySimError(401, "Invalid L1 Request headers")
        let headers = request.headers
        guard let addressText = headers["poly_address"], let address = EthereumAddress(hex: addressText), let signatureText = headers["poly_signature"],
              let signature = Hex.decode(signatureText), signature.count == 65, let timestamp = headers["poly_timestamp"] else { return .failure(refused) }
        let nonce = headers["poly_nonce"].flatMap { UInt256(decimal: $0) } ?? .zero
        guard timestampFresh(timestamp, nowMs: exchange.configuration.now()) else { return .failure(refused) }
        let digest = PolyL1.digest(address: address, timestamp: timestamp, nonce: nonce, chain: exchange.configuration.chain)
        guard EthereumSigner.recover(digest: digest, signature: signature) == address else { return .failure(refused) }
        return .success((address, nonce))
    }

    /// L2: a known key with its passphrase and address, a fresh timestamp, and the HMAC of exactly this
    /// request (timestamp + method + path + body bytes).
    private func authenticateL2(_ request: SimHTTPRequest) async -> Result<String, PolySimError> {
        let refused = PolySimError(401, "Unauthorized/Invalid api key")
        let headers = request.headers
        guard let key = headers["poly_api_key"], let passphrase = headers["poly_passphrase"], let signature = headers["poly_signature"],
              let timestamp = headers["poly_timestamp"], let addressText = headers["poly_address"],
              let credentials = await exchange.lookup(apiKey: key) else { return .failure(refused) }
        guard passphrase == credentials.passphrase, EthereumAddress(hex: addressText) == credentials.address,
              timestampFresh(timestamp, nowMs: exchange.configuration.now()) else { return .failure(refused) }
        guard let expected = try? PolyL2.signature(secret: credentials.secret, timestamp: timestamp, method: request.method, path: request.path,
                                                   body: Array(request.body)),
              expected == signature else { return .failure(refused) }
        return .success(key)
    }
}
