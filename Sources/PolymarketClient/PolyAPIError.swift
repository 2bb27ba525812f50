/// Every way a Polymarket request can end other than success, classified once, here (the same classes
/// as Kalshi's): a **definitive** refusal (`rejected`, with Polymarket's own message) means the venue did
/// not act; an **ambiguous** outcome means a write may have been applied and must be resolved by the
/// order's id (its EIP-712 hash, known before sending); `notSent` means the request never left.
public struct PolyAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// 4xx with Polymarket's `{"error": "…"}` body (a 503 trading-disabled answer too: not applied).
        case rejected(status: Int, message: String)
        /// 429: not applied.
        case rateLimited
        /// A write was sent and its outcome is unknown: 5xx, timeout, dropped connection, an undecodable
        /// success body.
        case ambiguous(reason: String)
        /// The request never left the process.
        case notSent(reason: String)
        /// A read failed with 5xx or a transport error after every retry.
        case unavailable(status: Int?, reason: String)
        /// A read succeeded but its body did not match the expected model.
        case invalidResponse(reason: String)
    }

    public let kind: Kind
    public let method: String
    public let path: String

    public init(_ kind: Kind, method: String, path: String) {
        self.kind = kind
        self.method = method
        self.path = path
    }

    /// The venue's message, when it refused.
    public var message: String? {
        if case let .rejected(_, message) = kind { return message }
        return nil
    }

    public var isAmbiguous: Bool {
        if case .ambiguous = kind { return true }
        return false
    }

    public var description: String {
        let what: String = switch kind {
        case let .rejected(status, message): "rejected \(status): \(message)"
        case .rateLimited: "rate limited (429)"
        case let .ambiguous(reason): "outcome unknown: \(reason)"
        case let .notSent(reason): "not sent: \(reason)"
        case let .unavailable(status, reason): "unavailable" + (status.map { " \($0)" } ?? "") + ": \(reason)"
        case let .invalidResponse(reason): "invalid response: \(reason)"
        }
        return "\(method) \(path): \(what)"
    }
}
