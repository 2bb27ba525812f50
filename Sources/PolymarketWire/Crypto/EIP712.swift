/// EIP-712 typed-data hashing: domain separators, struct hashes from ABI words, and the signed digest
/// `keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash)`.
public struct EIP712Domain: Hashable, Sendable {
    public let name: String
    public let version: String
    public let chainID: UInt64
    /// `nil` for a domain without one (Polymarket's `ClobAuthDomain`).
    public let verifyingContract: EthereumAddress?

    public init(name: String, version: String, chainID: UInt64, verifyingContract: EthereumAddress?) {
        self.name = name
        self.version = version
        self.chainID = chainID
        self.verifyingContract = verifyingContract
    }

    static let typehashWithContract = Keccak256.hash("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    static let typehashWithoutContract = Keccak256.hash("EIP712Domain(string name,string version,uint256 chainId)")

    /// `keccak256(abi.encode(typehash, keccak(name), keccak(version), chainId[, verifyingContract]))`.
    public var separator: [UInt8] {
        var words = (verifyingContract == nil ? Self.typehashWithoutContract : Self.typehashWithContract)
            + Keccak256.hash(name) + Keccak256.hash(version) + UInt256(chainID).word
        if let verifyingContract { words += verifyingContract.word }
        return Keccak256.hash(words)
    }
}

public enum EIP712 {
    /// The digest a signer signs: `keccak256(0x19 0x01 ‖ domainSeparator ‖ structHash)`.
    public static func digest(domainSeparator: [UInt8], structHash: [UInt8]) -> [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: 66, alignment: 8) { buffer in
            buffer[0] = 0x19
            buffer[1] = 0x01
            var writer = ABIWriter(buffer, at: 2)
            writer.bytes(domainSeparator)
            writer.bytes(structHash)
            return Keccak256.hash(bytes: UnsafeRawBufferPointer(buffer))
        }
    }

    /// A `uint8` as an ABI word.
    static func word(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [value] }
}

/// Writes ABI words into a buffer in place (EIP-712 struct encodings without intermediate arrays).
struct ABIWriter {
    let buffer: UnsafeMutableRawBufferPointer
    var offset: Int

    init(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    /// Raw bytes (a 32-byte hash or `bytes32` value) as they are.
    mutating func bytes(_ value: [UInt8]) {
        value.withUnsafeBytes { source in
            guard let base = source.baseAddress, let target = buffer.baseAddress else { return }
            (target + offset).copyMemory(from: base, byteCount: source.count)
        }
        offset += value.count
    }

    /// A `uint256`, big-endian.
    mutating func uint(_ value: UInt256) {
        buffer.storeBytes(of: value.limbs.3.bigEndian, toByteOffset: offset, as: UInt64.self)
        buffer.storeBytes(of: value.limbs.2.bigEndian, toByteOffset: offset + 8, as: UInt64.self)
        buffer.storeBytes(of: value.limbs.1.bigEndian, toByteOffset: offset + 16, as: UInt64.self)
        buffer.storeBytes(of: value.limbs.0.bigEndian, toByteOffset: offset + 24, as: UInt64.self)
        offset += 32
    }

    /// An `address`: 12 zero bytes, then its 20.
    mutating func address(_ value: EthereumAddress) {
        for index in 0..<12 { buffer[offset + index] = 0 }
        offset += 12
        bytes(value.bytes)
    }
}
