import Crypto
import _CryptoExtras

import Foundation

/// The three headers Kalshi authenticates a request (or a WebSocket upgrade) with.
public struct KalshiAuthHeaders: Hashable, Sendable {
    public static let keyName = "KALSHI-ACCESS-KEY"
    public static let timestampName = "KALSHI-ACCESS-TIMESTAMP"
    public static let signatureName = "KALSHI-ACCESS-SIGNATURE"

    public let key: String
    public let timestamp: String
    public let signature: String

    /// Name/value pairs in a stable order, ready for any HTTP library.
    public var pairs: [(name: String, value: String)] {
        [(Self.keyName, key), (Self.timestampName, timestamp), (Self.signatureName, signature)]
    }
}

/// Signs Kalshi requests: RSA-PSS with SHA-256, MGF1-SHA256 and a 32-byte salt over
/// `timestamp_ms + METHOD + path`, base64 (standard alphabet, padded).
///
/// `path` is the URL path from the root (it starts with `/trade-api/v2` or `/trade-api/ws/v2`); any query
/// string is removed before signing, as Kalshi requires.
public struct KalshiSigner: Sendable {
    /// Which RSA implementation signs. Both produce signatures Kalshi accepts (verified against the
    /// independent vectors); OpenSSL is about twice as fast on this machine class.
    public enum Backend: String, Sendable, CaseIterable {
        /// The system OpenSSL through `CRSASigner` (default when the key loads there).
        case openSSL
        /// swift-crypto's bundled BoringSSL.
        case boringSSL
    }

    public let credentials: KalshiCredentials
    public let backend: Backend

    public init(credentials: KalshiCredentials, backend: Backend = .openSSL) {
        self.credentials = credentials
        self.backend = credentials.privateKey.openSSL == nil ? .boringSSL : backend
    }

    /// Signs `message` and returns the standard base64 signature.
    public func signature(for message: String) throws -> String {
        let data = Data(message.utf8)
        if backend == .openSSL, let openSSL = credentials.privateKey.openSSL {
            guard let signature = openSSL.sign(data) else { throw KalshiKeyError("OpenSSL signing failed") }
            return signature.base64EncodedString()
        }
        return try credentials.privateKey.key.signature(for: data, padding: .PSS).rawRepresentation.base64EncodedString()
    }

    /// The exact text that is signed.
    public static func message(timestampMilliseconds: Int64, method: String, path: String) -> String {
        "\(timestampMilliseconds)\(method.uppercased())\(signedPath(path))"
    }

    /// `path` without its query string.
    public static func signedPath(_ path: String) -> String {
        path.firstIndex(of: "?").map { String(path[..<$0]) } ?? path
    }

    /// Signs one request at the given time (Unix milliseconds).
    public func headers(method: String, path: String, timestampMilliseconds: Int64) throws -> KalshiAuthHeaders {
        let message = Self.message(timestampMilliseconds: timestampMilliseconds, method: method, path: path)
        return KalshiAuthHeaders(
            key: credentials.keyID.rawValue,
            timestamp: String(timestampMilliseconds),
            signature: try signature(for: message))
    }
}

/// Verifies Kalshi request signatures against a registered public key (the simulator's side, and the
/// check that our signer agrees with independent implementations).
public struct KalshiSignatureVerifier: Sendable {
    private let key: _RSA.Signing.PublicKey

    /// Loads a `BEGIN PUBLIC KEY` (SPKI) or `BEGIN RSA PUBLIC KEY` (PKCS#1) PEM.
    public init(publicKeyPEM: String) throws(KalshiKeyError) {
        do {
            key = try _RSA.Signing.PublicKey(pemRepresentation: publicKeyPEM.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw KalshiKeyError("PEM could not be read as an RSA public key")
        }
    }

    /// Whether `signatureBase64` is a valid signature of `message`. Malformed base64 is simply invalid.
    public func isValid(signatureBase64: String, message: String) -> Bool {
        guard let raw = Data(base64Encoded: signatureBase64) else { return false }
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: raw), for: Data(message.utf8), padding: .PSS)
    }
}
