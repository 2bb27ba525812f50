/// Keccak-256 as Ethereum uses it: the original Keccak submission (pad byte 0x01), not NIST SHA3-256
/// (pad byte 0x06), rate 136 bytes, 32-byte output. Checked against `keccak256("") =
/// c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470` and the EIP-712 typehashes.
public enum Keccak256 {
    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    private static let rate = 136

    /// The 32-byte digest of `data`.
    public static func hash(_ data: some Collection<UInt8>) -> [UInt8] {
        var state = State()
        var block = [UInt8](repeating: 0, count: rate)
        var filled = 0
        for byte in data {
            block[filled] = byte
            filled += 1
            if filled == rate {
                state.absorb(block)
                filled = 0
            }
        }
        for index in filled..<rate { block[index] = 0 }
        block[filled] ^= 0x01
        block[rate - 1] ^= 0x80
        state.absorb(block)
        return state.squeeze32()
    }

    /// Keccak-256 of a string's UTF-8 bytes.
    public static func hash(_ text: String) -> [UInt8] { hash(Array(text.utf8)) }

    private struct State {
        var lanes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                     UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))

        mutating func absorb(_ block: [UInt8]) {
            withUnsafeMutableBytes(of: &lanes) { raw in
                let a = raw.bindMemory(to: UInt64.self)
                block.withUnsafeBytes { input in
                    for lane in 0..<(Keccak256.rate / 8) {
                        a[lane] ^= UInt64(littleEndian: input.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self))
                    }
                }
                Keccak256.permute(a)
            }
        }

        mutating func squeeze32() -> [UInt8] {
            withUnsafeBytes(of: &lanes) { raw in
                (0..<4).flatMap { lane -> [UInt8] in
                    let value = raw.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self).littleEndian
                    return (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
                }
            }
        }
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 &- n)) }

    private static let rotations: [UInt64] = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44]
    private static let lanesOrder: [Int] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1]

    /// Keccak-f[1600]: 24 rounds of θ, ρ and π, χ, ι over the 5×5 lanes (index x + 5y).
    private static func permute(_ a: UnsafeMutableBufferPointer<UInt64>) {
        var c0: UInt64 = 0, c1: UInt64 = 0, c2: UInt64 = 0, c3: UInt64 = 0, c4: UInt64 = 0
        for round in 0..<24 {
            // θ
            c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
            c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
            c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
            c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
            c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
            let d0 = c4 ^ rotl(c1, 1), d1 = c0 ^ rotl(c2, 1), d2 = c1 ^ rotl(c3, 1), d3 = c2 ^ rotl(c4, 1), d4 = c3 ^ rotl(c0, 1)
            for y in stride(from: 0, to: 25, by: 5) {
                a[y] ^= d0
                a[y + 1] ^= d1
                a[y + 2] ^= d2
                a[y + 3] ^= d3
                a[y + 4] ^= d4
            }
            // ρ and π
            var carried = a[1]
            for step in 0..<24 {
                let lane = lanesOrder[step]
                let next = a[lane]
                a[lane] = rotl(carried, rotations[step])
                carried = next
            }
            // χ
            for y in stride(from: 0, to: 25, by: 5) {
                let x0 = a[y], x1 = a[y + 1], x2 = a[y + 2], x3 = a[y + 3], x4 = a[y + 4]
                a[y] = x0 ^ (~x1 & x2)
                a[y + 1] = x1 ^ (~x2 & x3)
                a[y + 2] = x2 ^ (~x3 & x4)
                a[y + 3] = x3 ^ (~x4 & x0)
                a[y + 4] = x4 ^ (~x0 & x1)
            }
            // ι
            a[0] ^= roundConstants[round]
        }
    }
}
