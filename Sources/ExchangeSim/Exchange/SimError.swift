import KalshiWire

/// A refusal the simulator answers with Kalshi's error body `{code, message, details}`.
public struct SimError: Error, Sendable, Hashable {
    public let status: Int
    public let code: String
    public let message: String
    public let details: String

    public init(_ status: Int, _ code: String, _ message: String, details: String = "") {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    public var body: KalshiErrorBody { KalshiErrorBody(code: code, message: message, details: details) }

    static func notFound(_ what: String) -> SimError { SimError(404, "not_found", "\(what) not found") }
    static func invalid(_ details: String) -> SimError { SimError(400, "invalid_order", "invalid order", details: details) }
    static func badRequest(_ details: String) -> SimError { SimError(400, "invalid_parameters", "invalid parameters", details: details) }
}
