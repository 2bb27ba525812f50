/// Keccak-256 as Ethereum uses it: the original Keccak submission (pad byte 0x01), not NIST SHA3-256
/// (pad byte 0x06), rate 136 bytes, 32-byte output. Checked against `keccak256("") =
/// c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470` and the EIP-712 typehashes.
///
/// Absorbs straight from the input's bytes (contiguous inputs are never copied) into 25 lanes on the
/// stack, with the permutation's ρ and π steps unrolled: an order's two hashes cost a few microseconds.
public enum Keccak256 {
    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    static let rate = 136

    /// The 32-byte digest of `data`.
    public static func hash(_ data: [UInt8]) -> [UInt8] { data.withUnsafeBytes { hash(bytes: $0) } }
    public static func hash(_ data: ArraySlice<UInt8>) -> [UInt8] { data.withUnsafeBytes { hash(bytes: $0) } }

    /// The digest of any collection of bytes (copied once when not contiguous).
    public static func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        if let digest = data.withContiguousStorageIfAvailable({ hash(bytes: UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(data).withUnsafeBytes { hash(bytes: $0) }
    }

    /// Keccak-256 of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { hash(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The digest of raw bytes.
    public static func hash(bytes input: UnsafeRawBufferPointer) -> [UInt8] {
        var lanes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &lanes) { raw -> [UInt8] in
            let state = raw.baseAddress!.assumingMemoryBound(to: UInt64.self)
            var offset = 0
            while input.count - offset >= rate {
                for lane in 0..<(rate / 8) { state[lane] ^= UInt64(littleEndian: input.loadUnaligned(fromByteOffset: offset + lane * 8, as: UInt64.self)) }
                permute(state)
                offset += rate
            }
            // The last partial block, padded: 0x01 after the data, 0x80 in the block's last byte.
            var block = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                         UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            withUnsafeMutableBytes(of: &block) { padded in
                let remaining = input.count - offset
                if remaining > 0, let source = input.baseAddress { padded.baseAddress!.copyMemory(from: source + offset, byteCount: remaining) }
                padded[remaining] ^= 0x01
                padded[rate - 1] ^= 0x80
                for lane in 0..<(rate / 8) { state[lane] ^= UInt64(littleEndian: padded.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self)) }
            }
            permute(state)
            var out = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBytes { bytes in
                for lane in 0..<4 { bytes.storeBytes(of: state[lane].littleEndian, toByteOffset: lane * 8, as: UInt64.self) }
            }
            return out
        }
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 &- n)) }

    /// Keccak-f[1600]: 24 rounds of θ, ρ and π, χ, ι over the 5×5 lanes (index x + 5y), the lanes held
    /// in locals so the compiler keeps them in registers.
    private static func permute(_ s: UnsafeMutablePointer<UInt64>) {
        var a0 = s[0]
        var a1 = s[1]
        var a2 = s[2]
        var a3 = s[3]
        var a4 = s[4]
        var a5 = s[5]
        var a6 = s[6]
        var a7 = s[7]
        var a8 = s[8]
        var a9 = s[9]
        var a10 = s[10]
        var a11 = s[11]
        var a12 = s[12]
        var a13 = s[13]
        var a14 = s[14]
        var a15 = s[15]
        var a16 = s[16]
        var a17 = s[17]
        var a18 = s[18]
        var a19 = s[19]
        var a20 = s[20]
        var a21 = s[21]
        var a22 = s[22]
        var a23 = s[23]
        var a24 = s[24]
        let constants = roundConstants
        do {
            for round in 0..<24 {
                let c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
                let c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
                let c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
                let c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
                let c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
                let d0 = c4 ^ rotl(c1, 1)
                let d1 = c0 ^ rotl(c2, 1)
                let d2 = c1 ^ rotl(c3, 1)
                let d3 = c2 ^ rotl(c4, 1)
                let d4 = c3 ^ rotl(c0, 1)
                a0 ^= d0
                a1 ^= d1
                a2 ^= d2
                a3 ^= d3
                a4 ^= d4
                a5 ^= d0
                a6 ^= d1
                a7 ^= d2
                a8 ^= d3
                a9 ^= d4
                a10 ^= d0
                a11 ^= d1
                a12 ^= d2
                a13 ^= d3
                a14 ^= d4
                a15 ^= d0
                a16 ^= d1
                a17 ^= d2
                a18 ^= d3
                a19 ^= d4
                a20 ^= d0
                a21 ^= d1
                a22 ^= d2
                a23 ^= d3
                a24 ^= d4
                let b0 = a0
                let b1 = rotl(a6, 44)
                let b2 = rotl(a12, 43)
                let b3 = rotl(a18, 21)
                let b4 = rotl(a24, 14)
                let b5 = rotl(a3, 28)
                let b6 = rotl(a9, 20)
                let b7 = rotl(a10, 3)
                let b8 = rotl(a16, 45)
                let b9 = rotl(a22, 61)
                let b10 = rotl(a1, 1)
                let b11 = rotl(a7, 6)
                let b12 = rotl(a13, 25)
                let b13 = rotl(a19, 8)
                let b14 = rotl(a20, 18)
                let b15 = rotl(a4, 27)
                let b16 = rotl(a5, 36)
                let b17 = rotl(a11, 10)
                let b18 = rotl(a17, 15)
                let b19 = rotl(a23, 56)
                let b20 = rotl(a2, 62)
                let b21 = rotl(a8, 55)
                let b22 = rotl(a14, 39)
                let b23 = rotl(a15, 41)
                let b24 = rotl(a21, 2)
                a0 = b0 ^ (~b1 & b2)
                a1 = b1 ^ (~b2 & b3)
                a2 = b2 ^ (~b3 & b4)
                a3 = b3 ^ (~b4 & b0)
                a4 = b4 ^ (~b0 & b1)
                a5 = b5 ^ (~b6 & b7)
                a6 = b6 ^ (~b7 & b8)
                a7 = b7 ^ (~b8 & b9)
                a8 = b8 ^ (~b9 & b5)
                a9 = b9 ^ (~b5 & b6)
                a10 = b10 ^ (~b11 & b12)
                a11 = b11 ^ (~b12 & b13)
                a12 = b12 ^ (~b13 & b14)
                a13 = b13 ^ (~b14 & b10)
                a14 = b14 ^ (~b10 & b11)
                a15 = b15 ^ (~b16 & b17)
                a16 = b16 ^ (~b17 & b18)
                a17 = b17 ^ (~b18 & b19)
                a18 = b18 ^ (~b19 & b15)
                a19 = b19 ^ (~b15 & b16)
                a20 = b20 ^ (~b21 & b22)
                a21 = b21 ^ (~b22 & b23)
                a22 = b22 ^ (~b23 & b24)
                a23 = b23 ^ (~b24 & b20)
                a24 = b24 ^ (~b20 & b21)
                a0 ^= constants[round]
            }
        }
        s[0] = a0
        s[1] = a1
        s[2] = a2
        s[3] = a3
        s[4] = a4
        s[5] = a5
        s[6] = a6
        s[7] = a7
        s[8] = a8
        s[9] = a9
        s[10] = a10
        s[11] = a11
        s[12] = a12
        s[13] = a13
        s[14] = a14
        s[15] = a15
        s[16] = a16
        s[17] = a17
        s[18] = a18
        s[19] = a19
        s[20] = a20
        s[21] = a21
        s[22] = a22
        s[23] = a23
        s[24] = a24
    }
}
