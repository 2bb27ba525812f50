import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

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
        /// Signatures made ahead for the writes a client asks to `presign` (nil: always sign inline).
        public var presigning: Presigner.Settings? = Presigner.Settings()
        /// Unix milliseconds for signatures (injectable so tests can sign stale timestamps).
        public var wallClockMilliseconds: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }

        public init(baseURL: URL, credentials: KalshiCredentials?) {
            self.baseURL = baseURL
            self.credentials = credentials
        }
    }

    public let configuration: Configuration
    private let client: HTTPClient
    private let signer: KalshiSigner?
    private let limiter: KalshiRateLimiter<ContinuousClock>
    /// `scheme://host:port` of the base URL.
    private let origin: String
    /// Path of the base URL (`/trade-api/v2`), the prefix of every signed path.
    public let basePath: String
    private let logger: Logger
    /// Signatures made ahead for hot writes, by method + full path (`presign`).
    private let presigners = Mutex<[String: Presigner]>([:])

    public init(_ configuration: Configuration, logger: Logger = Logger(label: "kalshi.transport")) {
        self.configuration = configuration
        self.logger = logger
        signer = configuration.credentials.map { KalshiSigner(credentials: $0, backend: configuration.signingBackend) }
        limiter = KalshiRateLimiter(tier: configuration.tier, clock: ContinuousClock())
        var path = configuration.baseURL.path
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        let url = configuration.baseURL
        origin = "\(url.scheme ?? "https")://\(url.host ?? "")" + (url.port.map { ":\($0)" } ?? "")

        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: .init(configuration.connectTimeout), read: .init(configuration.requestTimeout))
        http.connectionPool.idleTimeout = .seconds(60)
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 8
        http.connectionPool.retryConnectionEstablishment = false
        http.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    }

    /// A transport dropped without `shutdown()` still releases its connections: AHC keeps itself alive
    /// while shutting down, so starting the shutdown here is safe (a second shutdown is a no-op error).
    deinit {
        stopPresigning()
        client.shutdown().whenComplete { _ in }
    }

    /// Keeps signatures ready for `method path` (relative to the API root, no query), so those requests
    /// skip the RSA work on their critical path (see `Presigner`). No-op without credentials or with
    /// `presigning` off.
    public func presign(_ method: KalshiRequest.Method, _ path: String) {
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
    public func warmUp() async {
        for presigner in presigners.withLock({ Array($0.values) }) { presigner.fill() }
        _ = try? await perform(KalshiRequest(.get, "/exchange/status"))
    }

    public func shutdown() async throws {
        stopPresigning()
        try await client.shutdown()
    }

    /// Sends `request` and decodes a 2xx body as `T`.
    public func send<T: Decodable>(_ request: KalshiRequest, as type: T.Type = T.self) async throws(KalshiAPIError) -> T {
        let response = try await perform(request)
        do {
            return try KalshiJSON.decoder().decode(T.self, from: response.body)
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
        let exponential = configuration.retryBaseDelay * (1 << min(attempt - 1, 16))
        let capped = min(exponential, configuration.retryMaxDelay)
        let millis = Double(capped.components.seconds) * 1_000 + Double(capped.components.attoseconds) / 1e15
        return .milliseconds(Int64(millis * Double.random(in: 0.5...1.0)))  // "equal jitter"
    }

    private func performOnce(_ request: KalshiRequest) async throws(KalshiAPIError) -> KalshiResponse {
        let method = request.method.rawValue
        func fail(_ kind: KalshiAPIError.Kind) -> KalshiAPIError { KalshiAPIError(kind, method: method, path: request.path) }

        if configuration.clientRateLimit {
            do { try await limiter.acquire(request.cost, from: request.bucket) } catch {
                throw fail(.notSent(reason: "cancelled while waiting for the rate limiter"))
            }
        }
        let fullPath = basePath + request.path
        let query = request.queryString
        var http = HTTPClientRequest(url: origin + fullPath + (query.isEmpty ? "" : "?" + query))
        http.method = HTTPMethod(rawValue: method)
        http.headers.add(name: "Accept", value: "application/json")
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: "application/json")
            http.body = .bytes(ByteBuffer(bytes: body))
        }
        if let signer {
            do {
                let presigned = request.query.isEmpty ? presigners.withLock { $0[method + fullPath] }?.take() : nil
                let headers = try presigned ?? signer.headers(method: method, path: fullPath, timestampMilliseconds: configuration.wallClockMilliseconds())
                for (name, value) in headers.pairs { http.headers.add(name: name, value: value) }
            } catch {
                throw fail(.notSent(reason: "signing failed"))
            }
        }

        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await client.execute(http, timeout: .init(configuration.requestTimeout))
            body = try await response.body.collect(upTo: 64 << 20)
        } catch {
            let reason = Self.describeTransportError(error)
            if Self.failedBeforeSending(error) { throw fail(.notSent(reason: reason)) }
            throw fail(request.isWrite ? .ambiguous(reason: reason) : .unavailable(status: nil, reason: reason))
        }
        let data = Data(body.readableBytesView)
        let status = Int(response.status.code)
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

    /// Errors raised before any byte of the request could have reached the server.
    static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [HTTPClientError.connectTimeout, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown,
                    .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .httpProxyHandshakeTimeout,
                    .socksHandshakeTimeout].contains(error)
        }
        if error is NIOConnectionError { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        if let error = error as? ChannelError {
            switch error {
            // A pooled connection the server had already closed: the write was refused, nothing left.
            case .connectTimeout, .ioOnClosedChannel: return true
            default: return false
            }
        }
        return false
    }

    static func describeTransportError(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "transport: \(error)" }
        return "transport: \(String(describing: error).prefix(200))"
    }
}
