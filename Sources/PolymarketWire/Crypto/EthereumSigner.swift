import CSecp256k1

/// An Ethereum address: 20 bytes, shown EIP-55 checksummed.
public struct EthereumAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// EIP-55: a hex letter is uppercase where the matching nibble of keccak(lowercase hex) is ≥ 8.
    /// Computed once (every order body and L2 request carries it).
    public let checksummed: String

    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        self.bytes = bytes
        checksummed = Self.checksum(bytes)
    }

    public static func == (lhs: EthereumAddress, rhs: EthereumAddress) -> Bool { lhs.bytes == rhs.bytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    /// Parses `0x` + 40 hex digits. All-lowercase or all-uppercase is accepted as is; mixed case must be
    /// the EIP-55 checksum (a mistyped address is refused, not used).
    public init?(hex text: String) {
        guard text.utf8.count == 42, text.hasPrefix("0x") || text.hasPrefix("0X"), let bytes = Hex.decode(text), bytes.count == 20 else { return nil }
        self.bytes = bytes
        checksummed = Self.checksum(bytes)
        let body = text.dropFirst(2)
        let mixed = body.contains(where: \.isUppercase) && body.contains(where: \.isLowercase)
        if mixed, checksummed != "0x" + body { return nil }
    }

    public static let zero = EthereumAddress(bytes: [UInt8](repeating: 0, count: 20))!

    private static func checksum(_ bytes: [UInt8]) -> String {
        let lower = Array(Hex.encode(bytes, prefix: false).utf8)
        let hash = Keccak256.hash(lower)
        var out: [UInt8] = [48, 120]
        for (index, char) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            out.append(char >= 97 && nibble >= 8 ? char - 32 : char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32-byte ABI word (left-padded).
    public var word: [UInt8] { [UInt8](repeating: 0, count: 12) + bytes }

    /// Appends the 32-byte ABI word (12 zero bytes, then the address) to `words`.
    @inline(__always)
    public func appendWord(to words: inout [UInt8]) {
        words.append(contentsOf: repeatElement(0, count: 12))
        words += bytes
    }

    public var description: String { checksummed }
}

/// A private key that is not one: the message names the problem, never the key.
public struct PolymarketKeyError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Signs 32-byte digests with recoverable ECDSA: `r ‖ s ‖ v`, v = recid + 27.
public protocol DigestSigner: Sendable {
    func sign(digest: [UInt8]) -> [UInt8]
}

/// A libsecp256k1 context. Created once (it is expensive); after creation (and randomisation) it is only
/// read by signing and recovery, which libsecp256k1 allows from many threads at once.
final class Secp256k1Context: @unchecked Sendable {
    // @unchecked: the pointer is written once here and destroyed in deinit; every other use is a
    // const (read-only) use, which libsecp256k1 documents as safe to share across threads.
    let pointer: OpaquePointer

    init() {
        // secp256k1_context_create never returns NULL for valid flags (it aborts on allocation failure).
        pointer = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE))!
        var seed = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in seed.indices { seed[index] = UInt8.random(in: 0...255, using: &generator) }
        _ = secp256k1_context_randomize(pointer, seed)
    }

    deinit { secp256k1_context_destroy(pointer) }

    /// One context for the process (recovery in the simulator, address derivation, signing).
    static let shared = Secp256k1Context()
}

/// A secp256k1 private key that signs 32-byte digests with recoverable ECDSA, as Ethereum does:
/// 65 bytes `r ‖ s ‖ v` with `v = recid + 27` (libsecp256k1's default RFC 6979 nonce, byte-identical to
/// eth-account). The key never appears in a description, an error or a log.
public final class EthereumSigner: DigestSigner, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let secret: [UInt8]
    public let address: EthereumAddress
    private let context = Secp256k1Context.shared

    /// From 64 hex digits (an optional `0x`; surrounding whitespace ignored).
    public convenience init(privateKeyHex text: String) throws(PolymarketKeyError) {
        let trimmed = text.trimmingWhitespace()
        guard let bytes = Hex.decode(trimmed), bytes.count == 32 else {
            throw PolymarketKeyError("a private key is 64 hexadecimal digits (an optional 0x); this one is not (not shown)")
        }
        try self.init(secret: bytes)
    }

    public init(secret bytes: [UInt8]) throws(PolymarketKeyError) {
        guard bytes.count == 32, secp256k1_ec_seckey_verify(Secp256k1Context.shared.pointer, bytes) == 1 else {
            throw PolymarketKeyError("the private key is outside the secp256k1 range (not shown)")
        }
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_create(Secp256k1Context.shared.pointer, &publicKey, bytes) == 1 else {
            throw PolymarketKeyError("no public key for this private key (not shown)")
        }
        var serialized = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.pointer, &serialized, &length, &publicKey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        secret = bytes
        // The address: the last 20 bytes of keccak(X ‖ Y).
        address = EthereumAddress(bytes: Array(Keccak256.hash(serialized[1...]).suffix(20)))!
    }

    /// Lends the 32-byte key to libsecp256k1 scalar arithmetic (prepared nonces); it goes nowhere else.
    func withSecret<R>(_ body: (UnsafePointer<UInt8>) throws -> R) rethrows -> R {
        try secret.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { preconditionFailure("a checked key has 32 bytes") }
            return try body(base)
        }
    }

    /// The 65-byte recoverable signature of a 32-byte digest: `r ‖ s ‖ v`, v = recid + 27.
    public func sign(digest: [UInt8]) -> [UInt8] {
        precondition(digest.count == 32, "a digest is 32 bytes")
        var signature = secp256k1_ecdsa_recoverable_signature()
        // Succeeds for every valid key (checked at init) and every digest with the default nonce function.
        _ = secp256k1_ecdsa_sign_recoverable(context.pointer, &signature, digest, secret, nil, nil)
        var compact = [UInt8](repeating: 0, count: 65)
        var recid: Int32 = 0
        _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(context.pointer, &compact, &recid, &signature)
        compact[64] = UInt8(27 + recid)
        return compact
    }

    /// The address that signed `digest` with a 65-byte `r ‖ s ‖ v` signature (v 27/28 or 0/1), or `nil`.
    public static func recover(digest: [UInt8], signature: [UInt8]) -> EthereumAddress? {
        guard digest.count == 32, signature.count == 65 else { return nil }
        let v = signature[64]
        let recid = Int32(v >= 27 ? v - 27 : v)
        guard (0...3).contains(recid) else { return nil }
        let context = Secp256k1Context.shared.pointer
        var parsed = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(context, &parsed, Array(signature[0..<64]), recid) == 1 else { return nil }
        var publicKey = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(context, &publicKey, &parsed, digest) == 1 else { return nil }
        var serialized = [UInt8](repeating: 0, count: 65)
        var length = 65
        _ = secp256k1_ec_pubkey_serialize(context, &serialized, &length, &publicKey, UInt32(SECP256K1_EC_UNCOMPRESSED))
        return EthereumAddress(bytes: Array(Keccak256.hash(serialized[1...]).suffix(20)))
    }

    public var description: String { "EthereumSigner(\(address), key redacted)" }
    public var debugDescription: String { description }
    /// `dump` and the debugger see the address only.
    public var customMirror: Mirror { Mirror(self, children: ["address": address.checksummed, "key": "redacted"]) }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
