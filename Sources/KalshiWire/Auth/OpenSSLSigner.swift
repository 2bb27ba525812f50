import CRSASigner
import Foundation

/// RSA-PSS (SHA-256, MGF1-SHA256, salt 32) through the system OpenSSL. Thread-safe: the C side duplicates
/// a pre-configured context for every signature.
final class OpenSSLRSASigner: @unchecked Sendable {
    // @unchecked: `handle` is created once, never mutated, and the C functions used are thread-safe.
    private let handle: OpaquePointer

    /// From a PKCS#8 or PKCS#1 DER private key; `nil` if OpenSSL cannot use it.
    init?(der: Data) {
        let created = der.withUnsafeBytes { bytes -> OpaquePointer? in
            guard let base = bytes.bindMemory(to: UInt8.self).baseAddress else { return nil }
            return kalshi_rsa_signer_create(base, bytes.count)
        }
        guard let created else { return nil }
        handle = created
    }

    deinit { kalshi_rsa_signer_free(handle) }

    func sign(_ message: Data) -> Data? {
        var signature = Data(count: kalshi_rsa_signer_size(handle))
        var length = 0
        let ok = signature.withUnsafeMutableBytes { out in
            message.withUnsafeBytes { input in
                kalshi_rsa_signer_sign(handle, input.bindMemory(to: UInt8.self).baseAddress, input.count,
                                       out.bindMemory(to: UInt8.self).baseAddress, &length)
            }
        }
        guard ok == 1 else { return nil }
        signature.count = length
        return signature
    }
}
