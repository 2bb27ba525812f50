/// An unsigned 256-bit integer, as EIP-712 and ABI encoding see `uint256`: only what the wire needs —
/// exact decimal parsing and printing, and the 32-byte big-endian word.
public struct UInt256: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Four 64-bit limbs, least significant first.
    public private(set) var limbs: (UInt64, UInt64, UInt64, UInt64)

    public init(_ value: UInt64) { limbs = (value, 0, 0, 0) }

    public init(limbs: (UInt64, UInt64, UInt64, UInt64)) { self.limbs = limbs }

    public static let zero = UInt256(0)

    /// Parses a decimal string of digits only (no sign, no spaces); `nil` when it is not one or exceeds 2²⁵⁶ − 1.
    public init?(decimal text: some StringProtocol) {
        guard !text.isEmpty, text.utf8.count <= 78 else { return nil }
        var value = UInt256.zero
        for byte in text.utf8 {
            guard byte >= 48, byte <= 57, let times10 = value.multiplied(by: 10), let next = times10.adding(UInt64(byte - 48)) else { return nil }
            value = next
        }
        self = value
    }

    /// From 32 big-endian bytes (fewer are left-padded).
    public init?(bigEndian bytes: some Collection<UInt8>) {
        guard bytes.count <= 32 else { return nil }
        var words = [UInt64](repeating: 0, count: 4)
        for (index, byte) in bytes.reversed().enumerated() { words[index / 8] |= UInt64(byte) << (8 * UInt64(index % 8)) }
        limbs = (words[0], words[1], words[2], words[3])
    }

    private var words: [UInt64] { [limbs.0, limbs.1, limbs.2, limbs.3] }
    private init(words: [UInt64]) { limbs = (words[0], words[1], words[2], words[3]) }

    /// `self × factor`, or `nil` on overflow.
    public func multiplied(by factor: UInt64) -> UInt256? {
        var out = [UInt64](repeating: 0, count: 4)
        var carry: UInt64 = 0
        for (index, word) in words.enumerated() {
            let (high, low) = word.multipliedFullWidth(by: factor)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            out[index] = sum
            carry = high &+ (overflow ? 1 : 0)
        }
        return carry == 0 ? UInt256(words: out) : nil
    }

    /// `self + addend`, or `nil` on overflow.
    public func adding(_ addend: UInt64) -> UInt256? {
        var out = words
        var carry = addend
        for index in 0..<4 where carry != 0 {
            let (sum, overflow) = out[index].addingReportingOverflow(carry)
            out[index] = sum
            carry = overflow ? 1 : 0
        }
        return carry == 0 ? UInt256(words: out) : nil
    }

    /// `(self / divisor, self % divisor)` for a 64-bit divisor > 0.
    func dividedReportingRemainder(by divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        var out = [UInt64](repeating: 0, count: 4)
        var remainder: UInt64 = 0
        for index in stride(from: 3, through: 0, by: -1) {
            let (quotient, rest) = divisor.dividingFullWidth((remainder, words[index]))
            out[index] = quotient
            remainder = rest
        }
        return (UInt256(words: out), remainder)
    }

    /// Appends the 32-byte big-endian ABI word to `bytes` (no intermediate arrays).
    @inline(__always)
    public func appendWord(to bytes: inout [UInt8]) {
        withUnsafeBytes(of: (limbs.3.bigEndian, limbs.2.bigEndian, limbs.1.bigEndian, limbs.0.bigEndian)) { bytes.append(contentsOf: $0) }
    }

    /// The 32-byte big-endian ABI word.
    public var word: [UInt8] {
        words.reversed().flatMap { word in (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) } }
    }

    /// Fits in 64 bits: the value, else `nil`.
    public var uint64: UInt64? { limbs.1 == 0 && limbs.2 == 0 && limbs.3 == 0 ? limbs.0 : nil }

    /// Decimal, in chunks of 19 digits (one 64-bit division per limb per chunk, no allocation but the text).
    public var description: String {
        if let small = uint64 { return String(small) }
        var value = limbs
        var chunks: [UInt64] = []
        chunks.reserveCapacity(5)
        let base: UInt64 = 10_000_000_000_000_000_000
        while value.0 != 0 || value.1 != 0 || value.2 != 0 || value.3 != 0 {
            var remainder: UInt64 = 0
            (value.3, remainder) = base.dividingFullWidth((remainder, value.3))
            (value.2, remainder) = base.dividingFullWidth((remainder, value.2))
            (value.1, remainder) = base.dividingFullWidth((remainder, value.1))
            (value.0, remainder) = base.dividingFullWidth((remainder, value.0))
            chunks.append(remainder)
        }
        var text = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 19 - digits.utf8.count) + digits
        }
        return text
    }

    public static func == (lhs: UInt256, rhs: UInt256) -> Bool {
        lhs.limbs.0 == rhs.limbs.0 && lhs.limbs.1 == rhs.limbs.1 && lhs.limbs.2 == rhs.limbs.2 && lhs.limbs.3 == rhs.limbs.3
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(limbs.0)
        hasher.combine(limbs.1)
        hasher.combine(limbs.2)
        hasher.combine(limbs.3)
    }
    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        for (a, b) in zip(lhs.words.reversed(), rhs.words.reversed()) where a != b { return a < b }
        return false
    }
}

/// Lowercase hexadecimal, with or without `0x`.
public enum Hex {
    public static func encode(_ bytes: some Collection<UInt8>, prefix: Bool = true) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(UnsafeRawBufferPointer($0), prefix: prefix) }) { return text }
        return Array(bytes).withUnsafeBytes { encode($0, prefix: prefix) }
    }

    public static func encode(_ bytes: [UInt8], prefix: Bool = true) -> String { bytes.withUnsafeBytes { encode($0, prefix: prefix) } }

    /// Written straight into the string's storage.
    public static func encode(_ bytes: UnsafeRawBufferPointer, prefix: Bool = true) -> String {
        let count = bytes.count * 2 + (prefix ? 2 : 0)
        return String(unsafeUninitializedCapacity: count) { out in
            var index = 0
            if prefix {
                out[0] = 48
                out[1] = 120
                index = 2
            }
            for byte in bytes {
                out[index] = hexDigit(byte >> 4)
                out[index + 1] = hexDigit(byte & 0x0F)
                index += 2
            }
            return count
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }

    /// Decodes hex (an optional `0x`, either case, an even number of digits); `nil` otherwise.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var utf8 = Array(text.utf8)
        if utf8.count >= 2, utf8[0] == 48, utf8[1] == 120 || utf8[1] == 88 { utf8.removeFirst(2) }
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
