import Crypto
import _CryptoExtras

import Foundation

/// A Kalshi API key id. Only its first four characters ever appear in text (`a952…`), so logs and error
/// messages can say which key is in use without disclosing it.
public struct KalshiKeyID: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The full id, for the `KALSHI-ACCESS-KEY` header only.
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, !rawValue.contains(where: { $0.isWhitespace || $0.isNewline }) else { return nil }
        self.rawValue = rawValue
    }

    /// First four characters followed by an ellipsis.
    public var redacted: String { String(rawValue.prefix(4)) + "…" }
    public var description: String { redacted }
    public var debugDescription: String { "KalshiKeyID(\(redacted))" }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": redacted]) }
}

/// Why a private key could not be loaded. Never contains any part of the key.
public struct KalshiKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// An RSA private key for Kalshi request signing, loaded from PKCS#1 (`BEGIN RSA PRIVATE KEY`) or
/// PKCS#8 (`BEGIN PRIVATE KEY`) PEM. Its text forms are always redacted.
public struct KalshiPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let key: _RSA.Signing.PrivateKey
    /// The same key prepared for the system OpenSSL (the fast signing path), when available.
    let openSSL: OpenSSLRSASigner?

    /// Loads the key. Errors describe the problem without echoing any of the input.
    public init(pem: String) throws(KalshiKeyError) {
        let text = pem.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") || text.hasPrefix("-----BEGIN PRIVATE KEY-----") else {
            throw KalshiKeyError(
                "not an RSA private key in PEM form (expected \"-----BEGIN RSA PRIVATE KEY-----\" (PKCS#1) or \"-----BEGIN PRIVATE KEY-----\" (PKCS#8))")
        }
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw KalshiKeyError("PEM could not be read as an RSA private key (PKCS#1 or PKCS#8)")
        }
        guard key.keySizeInBits >= 2048 else {
            throw KalshiKeyError("RSA key is \(key.keySizeInBits) bits; Kalshi keys are at least 2048 bits")
        }
        openSSL = OpenSSLRSASigner(der: key.pkcs8DERRepresentation)
    }

    private init(key: _RSA.Signing.PrivateKey) {
        self.key = key
        openSSL = OpenSSLRSASigner(der: key.pkcs8DERRepresentation)
    }

    /// A fresh RSA-2048 key (the simulator's generated accounts, tests).
    public static func generate() throws -> KalshiPrivateKey {
        KalshiPrivateKey(key: try _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// The key in PKCS#8 PEM, for writing a key file (mode 0600). Handle as a secret.
    public var pkcs8PEM: String { key.pkcs8PEMRepresentation }

    public var keySizeInBits: Int { key.keySizeInBits }
    /// The matching public key in `BEGIN PUBLIC KEY` PEM form (not secret).
    public var publicKeyPEM: String { key.publicKey.pemRepresentation }

    public var description: String { "<redacted RSA-\(key.keySizeInBits) private key>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

/// One Kalshi API credential set: key id and private key.
public struct KalshiCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let keyID: KalshiKeyID
    public let privateKey: KalshiPrivateKey

    public init(keyID: KalshiKeyID, privateKey: KalshiPrivateKey) {
        self.keyID = keyID
        self.privateKey = privateKey
    }

    public var description: String { "key \(keyID.redacted) (\(privateKey))" }
    public var debugDescription: String { "KalshiCredentials(\(description))" }
    public var customMirror: Mirror { Mirror(self, children: ["keyID": keyID.redacted, "privateKey": privateKey.description]) }
}
