import Foundation
import VenueTransport

/// One Kalshi REST call, described independently of any HTTP library.
public struct KalshiRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET", post = "POST", delete = "DELETE", put = "PUT"
    }

    public var method: Method
    /// Path relative to the API root (`/markets/KX-1/orderbook`); path parameters already encoded.
    public var path: String
    public var query: [(name: String, value: String)]
    public var body: Data?
    /// Which bucket pays, and whether the call changes state (writes are never retried blindly).
    public var bucket: RateBucket
    public var cost: Int

    public init(_ method: Method, _ path: String, query: [(name: String, value: String)] = [], body: Data? = nil,
                bucket: RateBucket? = nil, cost: Int = KalshiEndpointCost.standard) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.bucket = bucket ?? (method == .get ? .read : .write)
        self.cost = cost
    }

    public var isWrite: Bool { bucket == .write }

    /// Percent-encodes one path segment (a ticker or an order id).
    public static func segment(_ value: String) -> String { PercentEncoding.unreserved(value) }

    /// The query string (without `?`), percent-encoded.
    public var queryString: String { PercentEncoding.query(query) }
}

/// JSON coding shared by clients and the simulator: snake_case keys are spelled out in each model.
public enum KalshiJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder { JSONDecoder() }

    /// A decoding failure as "field a.b[2].c: reason", for error messages that name the field.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ keys: [any CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(root)" : text)
        }
        switch error {
        case let .keyNotFound(key, context): return "field \(path(context.codingPath + [key])): missing"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            let underlying = (context.underlyingError).map { ": \($0)" } ?? ""
            return "field \(path(context.codingPath)): \(context.debugDescription)\(underlying)"
        @unknown default: return String(describing: error)
        }
    }
}
