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

    private static let ctfContract = EthereumAddress(bytes: Hex.decode("0xE111180000d2663C0091e4f400237545B87B996B")!)!
    private static let negRiskContract = EthereumAddress(bytes: Hex.decode("0xe2222d279d744050d28e00520010520000310F59")!)!

    /// The verifying contract (the same on Polygon and Amoy for V2).
    public var contract: EthereumAddress { self == .ctf ? Self.ctfContract : Self.negRiskContract }

    public func domain(chain: PolymarketChain) -> EIP712Domain {
        EIP712Domain(name: "Polymarket CTF Exchange", version: "2", chainID: chain.rawValue, verifyingContract: contract)
    }

    /// Each exchange's domain separator on each chain, computed once (every order's digest needs one).
    private static let ctfPolygon = PolymarketExchange.ctf.domain(chain: .polygon).separator
    private static let ctfAmoy = PolymarketExchange.ctf.domain(chain: .amoy).separator
    private static let negRiskPolygon = PolymarketExchange.negRisk.domain(chain: .polygon).separator
    private static let negRiskAmoy = PolymarketExchange.negRisk.domain(chain: .amoy).separator

    /// The domain separator of this exchange on `chain`.
    public func separator(chain: PolymarketChain) -> [UInt8] {
        switch (self, chain) {
        case (.ctf, .polygon): Self.ctfPolygon
        case (.ctf, .amoy): Self.ctfAmoy
        case (.negRisk, .polygon): Self.negRiskPolygon
        case (.negRisk, .amoy): Self.negRiskAmoy
        }
    }
}
