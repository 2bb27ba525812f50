import CSecp256k1
import Markets
import Synchronization

/// ECDSA signing with its expensive half done ahead of time, for the order path.
///
/// An ECDSA signature is `r = (k·G).x mod n`, `s = k⁻¹·(z + r·d) mod n`. Almost all of its cost is the
/// point multiplication `k·G`, which does not depend on the message. This reserve draws random nonces `k`
/// (from the system's CSPRNG) in the background and keeps, for each, `r`, the parity of `k·G`'s y, `k⁻¹`
/// and `k⁻¹·r·d`; signing a digest `z` is then `s = k⁻¹·z + k⁻¹·r·d`: one scalar multiplication and one
/// addition. Every scalar operation is libsecp256k1's own constant-time one (`pubkey_create` for `k·G`,
/// `seckey_tweak_mul`/`_add`/`_negate` for arithmetic mod n; `k⁻¹` as `k^(n−2)`, batch-inverted); nothing
/// here does big-number arithmetic by hand.
///
/// The signatures are valid, low-s, recoverable Ethereum signatures of the same digest, but not the
/// RFC 6979 deterministic ones: `EthereumSigner.sign(digest:)` stays the byte-identical reference
/// (vectors, `poly sign-order`, L1 auth). Each nonce is used once (taken under a lock, then forgotten);
/// when the reserve is empty, or in the ~2⁻¹²⁸ cases the shortcut cannot serve (a digest ≥ n or 0, a zero
/// `s`), signing falls back to the deterministic path. A prepared nonce is as secret as the key (with one
/// signature it reveals it); it lives only in this process's memory and is never shown.
public final class PreparedNonces: DigestSigner, CustomStringConvertible {
    /// One prepared nonce: big-endian 32-byte scalars.
    struct Nonce {
        var r: Scalar
        var kInverse: Scalar
        /// k⁻¹·r·d mod n.
        var kInverseRD: Scalar
        /// The parity of (k·G).y: the recovery id before low-s normalisation.
        var yOdd: Bool
    }

    private struct State {
        var stock: [Nonce] = []
        var prepared = 0
        var fallbacks = 0
    }

    public let signer: EthereumSigner
    /// Nonces kept ready; a refill starts when fewer than `lowWater` remain.
    public let capacity: Int
    public let lowWater: Int
    public let background: Bool
    private let state = Mutex(State())
    /// Prepares on a thread of its own at a lower priority, 2 ms after the order that asked is out.
    private let worker = Mutex<BackgroundWorker?>(nil)
    private let context = Secp256k1Context.shared

    /// A reserve for `signer`. With `background` (the default) it fills at once on its own thread and
    /// refills there whenever fewer than `lowWater` remain; without, only `fill()` fills it (benchmarks, tests).
    public init(signer: EthereumSigner, capacity: Int = 1_024, lowWater: Int? = nil, background: Bool = true) {
        self.signer = signer
        self.capacity = max(capacity, 1)
        self.lowWater = min(max(lowWater ?? self.capacity / 2, 1), self.capacity)
        self.background = background
        if background {
            let started = BackgroundWorker(name: "polymarket-nonces", delay: .milliseconds(2)) { [weak self] in self?.fill() }
            worker.withLock { $0 = started }
        }
    }

    deinit { worker.withLock { $0?.stop() } }

    /// Nonces ready now.
    public var available: Int { state.withLock { $0.stock.count } }
    /// Nonces prepared since start, and signatures that took the deterministic path instead.
    public var prepared: Int { state.withLock { $0.prepared } }
    public var fallbacks: Int { state.withLock { $0.fallbacks } }

    public var description: String { "PreparedNonces(\(signer.address), \(available) ready, secrets redacted)" }

    /// The 65-byte recoverable signature `r ‖ s ‖ v` (v = recid + 27) of a 32-byte digest.
    public func sign(digest: [UInt8]) -> [UInt8] {
        precondition(digest.count == 32, "a digest is 32 bytes")
        let (nonce, refill) = state.withLock { state -> (Nonce?, Bool) in
            let nonce = state.stock.popLast()
            let refill = background && state.stock.count < lowWater
            if nonce == nil { state.fallbacks += 1 }
            return (nonce, refill)
        }
        if refill { worker.withLock { $0 }?.wake() }
        if let nonce, let signature = Self.signature(of: digest, nonce: nonce, context: context.pointer) { return signature }
        if nonce != nil { state.withLock { $0.fallbacks += 1 } }
        return signer.sign(digest: digest)
    }

    /// Prepares nonces until the reserve is full (on the caller's thread).
    public func fill() {
        while true {
            let missing = state.withLock { capacity - $0.stock.count }
            if missing <= 0 { return }
            let batch = prepareBatch(count: min(missing, 32))
            state.withLock { state in
                state.stock.append(contentsOf: batch)
                state.prepared += batch.count
            }
        }
    }

    // MARK: - The arithmetic, all through libsecp256k1

    /// `s = k⁻¹·z + k⁻¹·r·d`, normalised to low s; nil when the shortcut cannot serve this digest.
    static func signature(of digest: [UInt8], nonce: Nonce, context: OpaquePointer) -> [UInt8]? {
        var s = nonce.kInverse
        var yOdd = nonce.yOdd
        let ok = s.withBytes { s -> Bool in
            // tweak_mul refuses z = 0 and z ≥ n (a chance of 2⁻¹²⁸): the deterministic path signs those.
            guard secp256k1_ec_seckey_tweak_mul(context, s, digest) == 1 else { return false }
            guard nonce.kInverseRD.withBytes({ secp256k1_ec_seckey_tweak_add(context, s, $0) }) == 1 else { return false }
            if Scalar.isHigh(s) {
                guard secp256k1_ec_seckey_negate(context, s) == 1 else { return false }
                yOdd.toggle()
            }
            return true
        }
        guard ok else { return nil }
        var out = [UInt8](repeating: 0, count: 65)
        out.withUnsafeMutableBytes { buffer in
            nonce.r.store(into: buffer, at: 0)
            s.store(into: buffer, at: 32)
            buffer[64] = yOdd ? 28 : 27
        }
        return out
    }

    /// `count` fresh nonces: k random, R = k·G, k⁻¹ by one inversion for the batch (Montgomery's trick).
    func prepareBatch(count: Int) -> [Nonce] {
        let ctx = context.pointer
        var ks: [Scalar] = []
        var rs: [Scalar] = []
        var parities: [Bool] = []
        var generator = SystemRandomNumberGenerator()
        while ks.count < count {
            var k = Scalar.random(using: &generator)
            var point = secp256k1_pubkey()
            let made = k.withBytes { k in secp256k1_ec_seckey_verify(ctx, k) == 1 && secp256k1_ec_pubkey_create(ctx, &point, k) == 1 }
            guard made else { continue }
            var compressed = [UInt8](repeating: 0, count: 33)
            var length = 33
            _ = secp256k1_ec_pubkey_serialize(ctx, &compressed, &length, &point, UInt32(SECP256K1_EC_COMPRESSED))
            let r = Scalar(bytes: compressed[1...])
            // r = x mod n must be x itself and non-zero (x ≥ n has a chance of 2⁻¹²⁸): else draw again.
            guard r.withBytes({ secp256k1_ec_seckey_verify(ctx, $0) }) == 1 else { continue }
            ks.append(k)
            rs.append(r)
            parities.append(compressed[0] == 0x03)
            k.wipe()
        }
        let inverses = Scalar.batchInverse(ks, context: ctx)
        var out: [Nonce] = []
        out.reserveCapacity(count)
        for index in 0..<count {
            var rd = rs[index]
            let ok = signer.withSecret { d in rd.withBytes { secp256k1_ec_seckey_tweak_mul(ctx, $0, d) } } == 1
                && Scalar.multiply(&rd, by: inverses[index], context: ctx)
            guard ok else { continue }
            out.append(Nonce(r: rs[index], kInverse: inverses[index], kInverseRD: rd, yOdd: parities[index]))
        }
        for index in ks.indices { ks[index].wipe() }
        return out
    }
}

/// A 256-bit scalar mod n as libsecp256k1 takes it: 32 big-endian bytes, held inline (no allocation).
struct Scalar {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    init<C: Collection>(bytes: C) where C.Element == UInt8 {
        withBytes { target in
            for (index, byte) in bytes.prefix(32).enumerated() { target[index] = byte }
        }
    }

    static func random(using generator: inout some RandomNumberGenerator) -> Scalar {
        var scalar = Scalar()
        scalar.words = (generator.next(), generator.next(), generator.next(), generator.next())
        return scalar
    }

    static let one: Scalar = {
        var scalar = Scalar()
        scalar.withBytes { $0[31] = 1 }
        return scalar
    }()

    /// n − 2 (big-endian), the exponent of Fermat's inverse.
    static let orderMinusTwo: [UInt8] = Hex.decode("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd036413f") ?? []
    /// ⌊n / 2⌋ (big-endian): an s above it is "high" and is negated (Ethereum accepts low s only).
    static let halfOrder: [UInt8] = Hex.decode("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0") ?? []

    mutating func withBytes<R>(_ body: (UnsafeMutablePointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafeMutablePointer(to: &words) { try $0.withMemoryRebound(to: UInt8.self, capacity: 32, body) }
    }

    func withBytes<R>(_ body: (UnsafePointer<UInt8>) throws -> R) rethrows -> R {
        try withUnsafePointer(to: words) { try $0.withMemoryRebound(to: UInt8.self, capacity: 32, body) }
    }

    func store(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        withUnsafeBytes(of: words) { source in
            UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + 32]).copyMemory(from: source)
        }
    }

    mutating func wipe() { words = (0, 0, 0, 0) }

    /// Whether the big-endian scalar at `bytes` exceeds ⌊n / 2⌋.
    static func isHigh(_ bytes: UnsafePointer<UInt8>) -> Bool {
        for index in 0..<32 where bytes[index] != halfOrder[index] { return bytes[index] > halfOrder[index] }
        return false
    }

    /// `value ← value · factor mod n`; false when libsecp256k1 refuses (a zero or out-of-range operand).
    static func multiply(_ value: inout Scalar, by factor: Scalar, context: OpaquePointer) -> Bool {
        factor.withBytes { f in value.withBytes { secp256k1_ec_seckey_tweak_mul(context, $0, f) } } == 1
    }

    /// `value^(n−2) mod n` = `value⁻¹` (Fermat), by square-and-multiply over the fixed exponent: the same
    /// operations whatever the value.
    static func inverse(_ value: Scalar, context: OpaquePointer) -> Scalar {
        var result = Scalar.one
        for byte in orderMinusTwo {
            for bit in (0..<8).reversed() {
                let square = result
                _ = multiply(&result, by: square, context: context)
                if (byte >> UInt8(bit)) & 1 == 1 { _ = multiply(&result, by: value, context: context) }
            }
        }
        return result
    }

    /// The inverses of non-zero scalars with one inversion: prefix products, one `inverse`, then back.
    static func batchInverse(_ values: [Scalar], context: OpaquePointer) -> [Scalar] {
        guard let first = values.first else { return [] }
        var prefix = [first]
        prefix.reserveCapacity(values.count)
        for value in values.dropFirst() {
            var next = prefix[prefix.count - 1]
            _ = multiply(&next, by: value, context: context)
            prefix.append(next)
        }
        var running = inverse(prefix[prefix.count - 1], context: context)
        var out = [Scalar](repeating: Scalar(), count: values.count)
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            var inverse = running
            _ = multiply(&inverse, by: prefix[index - 1], context: context)
            out[index] = inverse
            _ = multiply(&running, by: values[index], context: context)
        }
        out[0] = running
        return out
    }
}
