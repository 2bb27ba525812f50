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
        Keccak256.hash([0x19, 0x01] + domainSeparator + structHash)
    }

    /// A `uint8` as an ABI word.
    static func word(_ value: UInt8) -> [UInt8] { [UInt8](repeating: 0, count: 31) + [value] }
}
