/// Every way a Kalshi request can end other than success, classified once, here.
///
/// The distinction that matters for money: a **definitive** answer (`rejected`) means the venue did not
/// act; an **ambiguous** one means a write may have been applied and must be resolved by
/// `client_order_id`; `notSent` means the request never left (safe to retry as is).
public struct KalshiAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 400/401/403/404/409 (and other 4xx) with Kalshi's `{code, message, details}` body.
        case rejected(status: Int, code: String?, message: String?, details: String?)
        /// 429 `{"error":"too many requests"}`: a write was not applied; a read ran out of retries.
        case rateLimited
        /// A write was sent and its outcome is unknown: 5xx, timeout, dropped connection, or an
        /// undecodable success body.
        case ambiguous(reason: String)
        /// The request never left the process (connection refused, connect timeout, invalid URL).
        case notSent(reason: String)
        /// A read failed with 5xx or a transport error after every retry.
        case unavailable(status: Int?, reason: String)
        /// A read succeeded but its body did not match the expected model.
        case invalidResponse(reason: String)
    }

    public let kind: Kind
    public let method: String
    /// Path relative to the API root, without query string.
    public let path: String

    public init(_ kind: Kind, method: String, path: String) {
        self.kind = kind
        self.method = method
        self.path = path
    }

    /// The venue's error code, when it gave one.
    public var code: String? {
        if case let .rejected(_, code, _, _) = kind { return code }
        return nil
    }

    public var isAmbiguous: Bool {
        if case .ambiguous = kind { return true }
        return false
    }

    public var description: String {
        let what: String = switch kind {
        case let .rejected(status, code, message, details):
            "rejected \(status)" + (code.map { " \($0)" } ?? "") + (message.map { ": \($0)" } ?? "")
                + (details.flatMap { $0.isEmpty ? nil : " (\($0))" } ?? "")
        case .rateLimited: "rate limited (429)"
        case let .ambiguous(reason): "outcome unknown: \(reason)"
        case let .notSent(reason): "not sent: \(reason)"
        case let .unavailable(status, reason): "unavailable" + (status.map { " \($0)" } ?? "") + ": \(reason)"
        case let .invalidResponse(reason): "invalid response: \(reason)"
        }
        return "\(method) \(path): \(what)"
    }
}
