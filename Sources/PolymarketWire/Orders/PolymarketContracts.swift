/// Polymarket's chains and exchange contracts (polymarket.md §1): which contract verifies an order, and
/// under which EIP-712 domain version.
public enum PolymarketChain: UInt64, Sendable, Hashable, CaseIterable {
    case polygon = 137
    case amoy = 80002
}

/// The exchange a token's orders are signed for.
public enum PolymarketExchange: String, Sendable, Hashable, CaseIterable {
    /// CTF Exchange V2 (domain version "2"): ordinary binary markets.
    case ctf
    /// Neg Risk CTF Exchange V2 (domain version "2"): markets whose `neg_risk` is true.
    case negRisk = "neg_risk"

    /// The exchange for a token: neg-risk exactly when the venue says the token's market is neg-risk.
    public init(negRisk: Bool) { self = negRisk ? .negRisk : .ctf }

    /// The verifying contract (the same on Polygon and Amoy for V2).
    public var contract: EthereumAddress {
        switch self {
        case .ctf: EthereumAddress(bytes: Hex.decode("0xE111180000d2663C0091e4f400237545B87B996B")!)!
        case .negRisk: EthereumAddress(bytes: Hex.decode("0xe2222d279d744050d28e00520010520000310F59")!)!
        }
    }

    public func domain(chain: PolymarketChain) -> EIP712Domain {
        EIP712Domain(name: "Polymarket CTF Exchange", version: "2", chainID: chain.rawValue, verifyingContract: contract)
    }
}
