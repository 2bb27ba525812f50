import Crypto
import Foundation

/// The L2 API credentials (`POLY_API_KEY`, `POLY_API_SECRET`, `POLY_API_PASSPHRASE`): never printed.
public struct PolyAPICredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let apiKey: String
    /// URL-safe base64, as the venue issues it.
    public let secret: String
    public let passphrase: String
    /// The secret decoded once (every L2 request is signed with it); `nil` when it is not base64.
    let hmacKey: SymmetricKey?

    public init(apiKey: String, secret: String, passphrase: String) {
        self.apiKey = apiKey
        self.secret = secret
        self.passphrase = passphrase
        hmacKey = PolyL2.key(secret)
    }

    public static func == (lhs: PolyAPICredentials, rhs: PolyAPICredentials) -> Bool {
        lhs.apiKey == rhs.apiKey && lhs.secret == rhs.secret && lhs.passphrase == rhs.passphrase
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(apiKey)
        hasher.combine(secret)
        hasher.combine(passphrase)
    }

    public var description: String { "PolyAPICredentials(key \(apiKey.prefix(4))…, secret and passphrase redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

/// A header pair as the venue expects it (upper-snake names).
public typealias PolyHeader = (name: String, value: String)

/// L2: HMAC-SHA256 of `timestamp + METHOD + path + body` with the base64url-decoded secret, answered as
/// URL-safe base64 with its `=` padding (polymarket.md §3). The body is the exact bytes sent.
public enum PolyL2 {
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case secretNotBase64
        public var description: String { "POLY_API_SECRET is not (URL-safe) base64 (not shown)" }
    }

    /// The HMAC key of a URL-safe base64 secret (Python's `urlsafe_b64decode`: `-`/`_`, padding optional).
    static func key(_ secret: String) -> SymmetricKey? {
        var standard = secret.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { SymmetricKey(data: $0) }
    }

    public static func signature(secret: String, timestamp: String, method: String, path: String, body: some Collection<UInt8>) throws(Failure) -> String {
        guard let key = key(secret) else { throw .secretNotBase64 }
        return signature(key: key, timestamp: timestamp, method: method, path: path, body: body)
    }

    static func signature(key: SymmetricKey, timestamp: String, method: String, path: String, body: some Collection<UInt8>) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array((timestamp + method + path).utf8))
        if body.withContiguousStorageIfAvailable({ mac.update(data: UnsafeRawBufferPointer($0)) }) == nil { mac.update(data: Array(body)) }
        let base64 = Data(mac.finalize()).base64EncodedString()
        return String(base64.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    private static func signature(_ credentials: PolyAPICredentials, timestamp: String, method: String, path: String,
                                  body: some Collection<UInt8>) throws(Failure) -> String {
        guard let key = credentials.hmacKey else { throw .secretNotBase64 }
        return signature(key: key, timestamp: timestamp, method: method, path: path, body: body)
    }

    /// `POLY_ADDRESS`, `POLY_SIGNATURE`, `POLY_TIMESTAMP`, `POLY_API_KEY`, `POLY_PASSPHRASE` for a request.
    /// `path` is the request path without host or query.
    public static func headers(address: EthereumAddress, credentials: PolyAPICredentials, timestamp: String, method: String, path: String,
                               body: some Collection<UInt8>) throws(Failure) -> [PolyHeader] {
        [
            ("POLY_ADDRESS", address.checksummed),
            ("POLY_SIGNATURE", try signature(credentials, timestamp: timestamp, method: method, path: path, body: body)),
            ("POLY_TIMESTAMP", timestamp),
            ("POLY_API_KEY", credentials.apiKey),
            ("POLY_PASSPHRASE", credentials.passphrase),
        ]
    }
}

/// L1: the `ClobAuth` EIP-712 signature that creates or derives API credentials (polymarket.md §3).
public enum PolyL1 {
    public static let message = "This message attests that I control the given wallet"
    public static let typeString = "ClobAuth(address address,string timestamp,uint256 nonce,string message)"
    public static let typehash = Keccak256.hash(typeString)

    public static func domain(chain: PolymarketChain) -> EIP712Domain {
        EIP712Domain(name: "ClobAuthDomain", version: "1", chainID: chain.rawValue, verifyingContract: nil)
    }

    /// The digest signed for `address` at `timestamp` (unix seconds, as text) and `nonce`.
    public static func digest(address: EthereumAddress, timestamp: String, nonce: UInt256, chain: PolymarketChain) -> [UInt8] {
        let structHash = Keccak256.hash(typehash + address.word + Keccak256.hash(timestamp) + nonce.word + Keccak256.hash(message))
        return EIP712.digest(domainSeparator: domain(chain: chain).separator, structHash: structHash)
    }

    /// `POLY_ADDRESS`, `POLY_SIGNATURE`, `POLY_TIMESTAMP`, `POLY_NONCE` for `POST /auth/api-key` and
    /// `GET /auth/derive-api-key`.
    public static func headers(signer: EthereumSigner, timestamp: String, nonce: UInt256 = .zero, chain: PolymarketChain = .polygon) -> [PolyHeader] {
        let signature = signer.sign(digest: digest(address: signer.address, timestamp: timestamp, nonce: nonce, chain: chain))
        return [
            ("POLY_ADDRESS", signer.address.checksummed),
            ("POLY_SIGNATURE", Hex.encode(signature)),
            ("POLY_TIMESTAMP", timestamp),
            ("POLY_NONCE", nonce.description),
        ]
    }
}
