import AsyncHTTPClient
import Foundation
import Logging
import Markets
import NIOCore
import NIOHTTP1
import PolymarketWire
import Synchronization
import VenueTransport

/// One request to the CLOB: path relative to the host (no query), the query separately, the exact body
/// bytes (the L2 HMAC covers them), its authentication and its limit.
public struct PolyRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET", post = "POST", delete = "DELETE"
    }

    public enum Auth: Sendable {
        case none
        /// ClobAuth headers for `nonce` (creating or deriving API credentials).
        case l1(nonce: UInt256)
        /// HMAC headers with the API credentials.
        case l2
    }

    public var method: Method
    public var path: String
    public var query: [(name: String, value: String)]
    public var body: Data?
    public var auth: Auth
    public var rate: PolyRateClass
    /// Orders and cancels: sent once (never retried blindly), through a warm order lane.
    public var isWrite: Bool

    public init(_ method: Method, _ path: String, query: [(name: String, value: String)] = [], body: Data? = nil, auth: Auth = .none,
                rate: PolyRateClass = .general, isWrite: Bool = false) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.auth = auth
        self.rate = rate
        self.isWrite = isWrite
    }

    var queryString: String { PercentEncoding.query(query) }
}

/// Client-side pacing under Polymarket's documented limits: 90 % of each class's rate, half its window as
/// burst, tokens taken when a request leaves.
actor PolyRateLimiter {
    private let clock = ContinuousClock()
    private var buckets: [PolyRateClass: TokenBucket<ContinuousClock>] = [:]

    func acquire(_ rate: PolyRateClass) async throws {
        while true {
            var bucket = buckets[rate] ?? TokenBucket(refillPerSecond: max(1, rate.perTenSeconds * 9 / 100), capacity: max(1, rate.perTenSeconds / 2),
                                                      now: clock.now)
            let wait = bucket.take(1, now: clock.now)
            buckets[rate] = bucket
            guard wait > .zero else { return }
            try await clock.sleep(for: wait, tolerance: nil)
        }
    }
}

/// Pooled keep-alive HTTP to one CLOB host: authenticates every request (L1 or L2 over the exact body
/// bytes), paces it, sends, and classifies the outcome (`PolyAPIError`). Reads are retried with backoff
/// on 429, 5xx and transport errors; writes are sent exactly once, through a warm order lane.
public final class PolyTransport: Sendable {
    public struct Configuration: Sendable {
        /// `POLY_CLOB_URL`, e.g. `https://clob.polymarket.com`.
        public var baseURL: URL
        public var chain: PolymarketChain = .polygon
        public var requestTimeout: Duration = .seconds(10)
        public var connectTimeout: Duration = .seconds(3)
        public var readAttempts = 5
        public var retryBaseDelay: Duration = .milliseconds(100)
        public var retryMaxDelay: Duration = .seconds(2)
        public var clientRateLimit = true
        public var orderLane = true
        /// Unix seconds for `POLY_TIMESTAMP` (injectable; `syncClock` corrects it by the server's time).
        public var wallClockSeconds: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }

        public init(baseURL: URL) { self.baseURL = baseURL }
    }

    public let configuration: Configuration
    /// The EOA that signs L1 headers and orders; its address is `POLY_ADDRESS`.
    public let signer: EthereumSigner?
    private let credentials: Mutex<PolyAPICredentials?>
    /// Seconds to add to the local clock (server time − local time), from `GET /time`.
    private let clockOffset = Mutex<Int64>(0)
    /// The pooled client and the order lanes (writes go through a free lane).
    private let http: VenueHTTP
    private let limiter = PolyRateLimiter()
    private let gate: ConcurrencyGate
    private var basePath: String { http.basePath }
    private let logger: Logger

    public init(_ configuration: Configuration, signer: EthereumSigner?, credentials: PolyAPICredentials?, logger: Logger = Logger(label: "polymarket.transport")) {
        self.configuration = configuration
        self.signer = signer
        self.credentials = Mutex(credentials)
        self.logger = logger
        http = VenueHTTP(baseURL: configuration.baseURL, orderLane: configuration.orderLane, connectTimeout: configuration.connectTimeout,
                         requestTimeout: configuration.requestTimeout, warn: { logger.warning("\($0)") })
        gate = ConcurrencyGate(limit: http.connections)
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// The L2 credentials, once known (given, or created/derived through L1 at start-up).
    public var apiCredentials: PolyAPICredentials? { credentials.withLock { $0 } }
    public func setCredentials(_ value: PolyAPICredentials) { credentials.withLock { $0 = value } }

    /// The seconds `POLY_TIMESTAMP` carries.
    public var nowSeconds: Int64 { configuration.wallClockSeconds() + clockOffset.withLock { $0 } }

    /// Sets the clock offset from the server's `GET /time` (its requests reject a skewed timestamp).
    public func syncClock(serverSeconds: Int64) {
        let offset = serverSeconds - configuration.wallClockSeconds()
        clockOffset.withLock { $0 = abs(offset) > 1 ? offset : 0 }
    }

    public func warmUp() async {
        await http.warmUpLanes()
        _ = try? await perform(PolyRequest(.get, "/ok"))
    }

    /// Sends `request` and decodes a 2xx body as `T`.
    public func send<T: Decodable>(_ request: PolyRequest, as type: T.Type = T.self) async throws(PolyAPIError) -> T {
        let body = try await perform(request)
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            let reason = PolyOrderRequest.describeDecoding(error)
            logger.error("undecodable \(request.method.rawValue) \(request.path) response: \(reason)")
            throw PolyAPIError(request.isWrite ? .ambiguous(reason: "undecodable success body: \(reason)") : .invalidResponse(reason: reason),
                               method: request.method.rawValue, path: request.path)
        }
    }

    /// Sends `request`, returning a 2xx body and classifying everything else.
    public func perform(_ request: PolyRequest) async throws(PolyAPIError) -> Data {
        let attempts = request.isWrite ? 1 : max(1, configuration.readAttempts)
        var lastError: PolyAPIError?
        for attempt in 0..<attempts {
            if attempt > 0 {
                do { try await Task.sleep(for: backoff(attempt: attempt)) } catch { break }
            }
            await gate.enter()
            do throws(PolyAPIError) {
                let body = try await performOnce(request)
                await gate.leave()
                return body
            } catch {
                await gate.leave()
                lastError = error
                switch error.kind {
                case .rateLimited, .unavailable, .notSent:
                    guard !request.isWrite else { throw error }
                    continue
                case .rejected, .ambiguous, .invalidResponse:
                    throw error
                }
            }
        }
        throw lastError ?? PolyAPIError(.unavailable(status: nil, reason: "cancelled"), method: request.method.rawValue, path: request.path)
    }

    private func backoff(attempt: Int) -> Duration {
        VenueHTTP.backoff(attempt: attempt, base: configuration.retryBaseDelay, max: configuration.retryMaxDelay)
    }

    /// The authentication headers of `request` over `body`.
    func authHeaders(_ request: PolyRequest, body: Data) throws(PolyAPIError) -> [PolyHeader] {
        let timestamp = String(nowSeconds)
        func notSent(_ reason: String) -> PolyAPIError { PolyAPIError(.notSent(reason: reason), method: request.method.rawValue, path: request.path) }
        switch request.auth {
        case .none:
            return []
        case let .l1(nonce):
            guard let signer else { throw notSent("L1 authentication needs POLY_PRIVATE_KEY") }
            return PolyL1.headers(signer: signer, timestamp: timestamp, nonce: nonce, chain: configuration.chain)
        case .l2:
            guard let signer, let credentials = apiCredentials else { throw notSent("L2 authentication needs POLY_PRIVATE_KEY and API credentials") }
            do {
                return try PolyL2.headers(address: signer.address, credentials: credentials, timestamp: timestamp, method: request.method.rawValue,
                                          path: basePath + request.path, body: Array(body))
            } catch { throw notSent(error.description) }
        }
    }

    private func performOnce(_ request: PolyRequest) async throws(PolyAPIError) -> Data {
        let method = request.method.rawValue
        func fail(_ kind: PolyAPIError.Kind) -> PolyAPIError { PolyAPIError(kind, method: method, path: request.path) }
        if configuration.clientRateLimit {
            do { try await limiter.acquire(request.rate) } catch { throw fail(.notSent(reason: "cancelled while waiting for the rate limiter")) }
        }
        let bodyBytes = request.body ?? Data()
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        if request.body != nil { headers.add(name: "Content-Type", value: "application/json") }
        for (name, value) in try authHeaders(request, body: bodyBytes) { headers.add(name: name, value: value) }
        let query = request.queryString
        let target = basePath + request.path + (query.isEmpty ? "" : "?" + query)
        let body = request.body.map { ByteBuffer(bytes: $0) }
        let (status, data): (Int, Data)
        do {
            (status, data) = try await http.exchange(method: method, target: target, headers: headers, body: body, isWrite: request.isWrite)
        } catch {
            switch error {
            case let .notSent(reason): throw fail(.notSent(reason: reason))
            case let .lost(reason): throw fail(request.isWrite ? .ambiguous(reason: reason) : .unavailable(status: nil, reason: reason))
            }
        }
        switch status {
        case 200..<300:
            return data
        case 429:
            throw fail(.rateLimited)
        case 503 where Self.isTradingDisabled(data):
            fallthrough
        case 400..<500:
            let message = (try? JSONDecoder().decode(PolyErrorBody.self, from: data))?.error ?? String(decoding: data.prefix(200), as: UTF8.self)
            throw fail(.rejected(status: status, message: message))
        default:
            let reason = "HTTP \(status)" + ((try? JSONDecoder().decode(PolyErrorBody.self, from: data)).map { ": \($0.error)" } ?? "")
            throw fail(request.isWrite ? .ambiguous(reason: reason) : .unavailable(status: status, reason: reason))
        }
    }

    /// A 503 that says trading is disabled, cancel-only or post-only: the venue refused before acting.
    static func isTradingDisabled(_ body: Data) -> Bool {
        guard let message = (try? JSONDecoder().decode(PolyErrorBody.self, from: body))?.error.lowercased() else { return false }
        return message.contains("trading is currently") || message.contains("post-only mode")
    }
}
