import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VenueTransport

/// The raw result of a request that got an HTTP answer.
public struct KalshiResponse: Sendable {
    public let status: Int
    public let body: Data
}

/// One pooled, keep-alive HTTP connection set to one Kalshi host: signs every request, waits for the
/// client-side rate limiter, sends, and classifies the outcome (`KalshiAPIError`). Reads are retried
/// with exponential backoff and jitter on 429, 5xx and transport errors; writes are sent exactly once.
public final class KalshiTransport: Sendable {
    public struct Configuration: Sendable {
        /// API root, e.g. `https://external-api.demo.kalshi.co/trade-api/v2`.
        public var baseURL: URL
        public var credentials: KalshiCredentials?
        public var tier: KalshiRateTier = .basic
        /// Client-side token buckets. Turn off only against a local simulator with its limits off
        /// (benchmarks); against Kalshi the limiter is what keeps bursts from earning 429s.
        public var clientRateLimit = true
        /// RSA implementation for request signatures.
        public var signingBackend: KalshiSigner.Backend = .openSSL
        public var requestTimeout: Duration = .seconds(10)
        public var connectTimeout: Duration = .seconds(3)
        /// Attempts for a read before giving up (1 = no retry).
        public var readAttempts = 5
        public var retryBaseDelay: Duration = .milliseconds(100)
        public var retryMaxDelay: Duration = .seconds(2)
        /// Writes (orders, cancels) through a dedicated warm HTTP/1.1 connection (`OrderLane`) instead
        /// of the pooled client.
        public var orderLane = true
        /// Signatures made ahead for the request a client names in `prepareOrders` (nil: always sign inline).
        public var presigning: Presigner.Settings? = Presigner.Settings()
        /// Unix milliseconds for signatures (injectable so tests can sign stale timestamps).
        public var wallClockMilliseconds: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }

        public init(baseURL: URL, credentials: KalshiCredentials?) {
            self.baseURL = baseURL
            self.credentials = credentials
        }
    }

    public let configuration: Configuration
    /// The pooled client and the order lanes (writes go through a free lane).
    private let http: VenueHTTP
    private let signer: KalshiSigner?
    private let limiter: KalshiRateLimiter<ContinuousClock>
    /// Path of the base URL (`/trade-api/v2`), the prefix of every signed path.
    public var basePath: String { http.basePath }
    private let logger: Logger
    /// Signatures made ahead for hot writes, by method + full path (`presign`).
    private let presigners = Mutex<[String: Presigner]>([:])
    private let ordersExpected = Mutex(false)
    /// Requests in flight at most: the pool's connections plus the order lanes.
    private let gate: ConcurrencyGate
    private let writeGate: ConcurrencyGate

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "kalshi.transport")) {
        self.configuration = configuration
        self.logger = logger
        signer = configuration.credentials.map { KalshiSigner(credentials: $0, backend: configuration.signingBackend) }
        limiter = KalshiRateLimiter(tier: configuration.tier, clock: ContinuousClock())
        http = VenueHTTP(baseURL: configuration.baseURL, orderLane: configuration.orderLane, connectTimeout: configuration.connectTimeout,
                         requestTimeout: configuration.requestTimeout, warn: { logger.warning("\($0)") })
        gate = ConcurrencyGate(limit: http.connections)
        // Held by each write's token cost; without the limiter, by count (as many as the connections carry).
        writeGate = ConcurrencyGate(limit: configuration.clientRateLimit ? KalshiRateLimiter<ContinuousClock>.writeTokensInFlight(tier: configuration.tier)
                                    : VenueHTTP.poolConnections + 1)
    }

    /// A transport dropped without `shutdown()` stops its presigners (its connections close with `http`).
    deinit { stopPresigning() }

    /// Readies the transport for orders on `method path` (relative to the API root, no query): `warmUp`
    /// also opens the order lanes, and signatures are kept ready for that request so it skips the RSA work
    /// on its critical path (see `Presigner`; not without credentials or with `presigning` off).
    public func prepareOrders(_ method: KalshiRequest.Method, _ path: String) {
        ordersExpected.withLock { $0 = true }
        guard let signer, let settings = configuration.presigning else { return }
        let key = method.rawValue + basePath + path
        presigners.withLock { presigners in
            guard presigners[key] == nil else { return }
            presigners[key] = Presigner(signer: signer, method: method.rawValue, path: basePath + path, settings: settings,
                                        wallClockMilliseconds: configuration.wallClockMilliseconds)
        }
    }

    private func stopPresigning() {
        let stopped = presigners.withLock { presigners in
            defer { presigners.removeAll() }
            return Array(presigners.values)
        }
        for presigner in stopped { presigner.stop() }
    }

    /// Opens a connection before the first real request, so the first order does not pay the handshake,
    /// and fills the presigned stock.
    /// The lanes' event loop as a task executor (`VenueHTTP.loopExecutor`).
    public var loopExecutor: (any TaskExecutor)? { http.loopExecutor }

    public func warmUp() async {
        for presigner in presigners.withLock({ Array($0.values) }) { presigner.fill() }
        if ordersExpected.withLock({ $0 }) { await http.warmUpLanes() }
        _ = try? await perform(KalshiRequest(.get, "/exchange/status"))
    }

    public func shutdown() async throws {
        stopPresigning()
        try await http.shutdown()
    }

    /// Sends `request` and decodes a 2xx body as `T`.
    public func send<T: Decodable>(_ request: KalshiRequest, as type: T.Type = T.self) async throws(KalshiAPIError) -> T {
        try await send(request) { body in try KalshiJSON.decoder().decode(T.self, from: body) }
    }

    /// Sends `request` and reads a 2xx body with `read` (a hand-written reader of a hot answer).
    public func send<T>(_ request: KalshiRequest, reading read: (Data) throws -> T) async throws(KalshiAPIError) -> T {
        let response = try await perform(request)
        do {
            return try read(response.body)
        } catch {
            let reason = KalshiJSON.describe(error)
            logger.error("undecodable \(request.method.rawValue) \(request.path) response: \(reason)")
            // A write that succeeded with a body we cannot read may still have been applied.
            throw KalshiAPIError(request.isWrite ? .ambiguous(reason: "undecodable success body: \(reason)") : .invalidResponse(reason: reason),
                                 method: request.method.rawValue, path: request.path)
        }
    }

    /// Sends `request`, returning any 2xx response and classifying everything else.
    public func perform(_ request: KalshiRequest) async throws(KalshiAPIError) -> KalshiResponse {
        let attempts = request.isWrite ? 1 : max(1, configuration.readAttempts)
        var lastError: KalshiAPIError?
        for attempt in 0..<attempts {
            if attempt > 0 {
                let delay = backoff(attempt: attempt)
                do { try await Task.sleep(for: delay) } catch { break }
            }
            do {
                return try await performOnce(request)
            } catch {
                lastError = error
                switch error.kind {
                case .rateLimited, .unavailable, .notSent:
                    guard !request.isWrite else { throw error }
                    logger.debug("retrying \(request.method.rawValue) \(request.path) after \(error)")
                    continue
                case .rejected, .ambiguous, .invalidResponse:
                    throw error
                }
            }
        }
        throw lastError ?? KalshiAPIError(.unavailable(status: nil, reason: "cancelled"), method: request.method.rawValue, path: request.path)
    }

    private func backoff(attempt: Int) -> Duration {
        VenueHTTP.backoff(attempt: attempt, base: configuration.retryBaseDelay, max: configuration.retryMaxDelay)
    }

    /// One attempt, once the gates let it through (see `ConcurrencyGate`). Writes also pass a gate holding
    /// their token costs, as wide as the venue's write budget exceeds the limiter's burst: the venue charges
    /// a request when it arrives, the limiter when it leaves, and however late in-flight requests arrive
    /// together, the venue's bucket holds them all, so paced writes never earn a 429.
    private func performOnce(_ request: KalshiRequest) async throws(KalshiAPIError) -> KalshiResponse {
        let writeWeight = configuration.clientRateLimit ? request.cost : 1
        if request.isWrite { await writeGate.enter(weight: writeWeight) }
        await gate.enter()
        do {
            let response = try await performGated(request)
            await gate.leave()
            if request.isWrite { await writeGate.leave(weight: writeWeight) }
            return response
        } catch {
            await gate.leave()
            if request.isWrite { await writeGate.leave(weight: writeWeight) }
            throw error
        }
    }

    private func performGated(_ request: KalshiRequest) async throws(KalshiAPIError) -> KalshiResponse {
        let method = request.method.rawValue
        func fail(_ kind: KalshiAPIError.Kind) -> KalshiAPIError { KalshiAPIError(kind, method: method, path: request.path) }

        if configuration.clientRateLimit {
            do { try await limiter.acquire(request.cost, from: request.bucket) } catch {
                throw fail(.notSent(reason: "cancelled while waiting for the rate limiter"))
            }
        }
        let fullPath = basePath + request.path
        let query = request.queryString
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        let body = request.body.map { ByteBuffer(bytes: $0) }
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        if let signer {
            do {
                let presigned = request.query.isEmpty ? presigners.withLock { $0[method + fullPath] }?.take() : nil
                let auth = try presigned ?? signer.headers(method: method, path: fullPath, timestampMilliseconds: configuration.wallClockMilliseconds())
                for (name, value) in auth.pairs { headers.add(name: name, value: value) }
            } catch {
                throw fail(.notSent(reason: "signing failed"))
            }
        }
        let target = fullPath + (query.isEmpty ? "" : "?" + query)
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
            return KalshiResponse(status: status, body: data)
        case 429:
            throw fail(.rateLimited)
        case 400..<500:
            let error = try? KalshiJSON.decoder().decode(KalshiErrorBody.self, from: data)
            throw fail(.rejected(status: status, code: error?.code, message: error?.message, details: error?.details))
        default:
            let reason = "HTTP \(status)"
            throw fail(request.isWrite ? .ambiguous(reason: reason) : .unavailable(status: status, reason: reason))
        }
    }
}
