import Foundation
import KalshiWire
import Markets
import Synchronization

/// API keys registered with the simulator, the way a Kalshi account registers a public key. The key id
/// is also the account id.
public final class SimKeyRegistry: Sendable {
    private let keys = Mutex<[String: KalshiSignatureVerifier]>([:])
    /// Largest accepted distance between a request's timestamp and the simulator's clock.
    public let timestampWindow: Duration

    public init(timestampWindow: Duration = .seconds(30)) { self.timestampWindow = timestampWindow }

    public func register(keyID: String, publicKeyPEM: String) throws(KalshiKeyError) {
        let verifier = try KalshiSignatureVerifier(publicKeyPEM: publicKeyPEM)
        keys.withLock { $0[keyID] = verifier }
    }

    public var registeredKeyIDs: [String] { keys.withLock { $0.keys.sorted() } }

    /// Checks the three auth headers of a request. Returns the account id, `nil` when the request carries
    /// no auth headers at all, or a 401 error.
    func authenticate(headers: [String: String], method: String, path: String, nowMs: Int64) -> Result<String?, SimError> {
        let key = headers[KalshiAuthHeaders.keyName.lowercased()]
        let timestamp = headers[KalshiAuthHeaders.timestampName.lowercased()]
        let signature = headers[KalshiAuthHeaders.signatureName.lowercased()]
        if key == nil, timestamp == nil, signature == nil { return .success(nil) }
        func unauthorized(_ details: String) -> Result<String?, SimError> {
            .failure(SimError(401, "unauthorized", "authentication failed", details: details))
        }
        guard let key, let timestamp, let signature else { return unauthorized("missing KALSHI-ACCESS-* header") }
        guard let verifier = keys.withLock({ $0[key] }) else { return unauthorized("unknown API key") }
        guard let ms = Int64(timestamp) else { return unauthorized("KALSHI-ACCESS-TIMESTAMP must be Unix milliseconds") }
        let window = timestampWindow.wholeMilliseconds
        guard abs(nowMs - ms) <= window else { return unauthorized("timestamp outside the accepted window") }
        let message = "\(timestamp)\(method)\(path)"
        guard verifier.isValid(signatureBase64: signature, message: message) else {
            return unauthorized("invalid signature (sign timestamp + METHOD + full path without query string)")
        }
        return .success(key)
    }
}
