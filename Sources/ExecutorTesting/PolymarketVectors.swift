import Foundation

/// `../shared/vectors/polymarket.json` (copied into the fixtures): Polymarket CLOB V2 signing vectors made
/// with the official Python SDK (py-clob-client-v2 1.2.1), plus the ClobAuth, HMAC and amount cases.
public struct PolymarketVectors: Sendable {
    /// The Anvil/Hardhat account #0 key the vectors are signed with (a well-known test key, no funds).
    public static let privateKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

    public struct OrderCase: Sendable {
        public let name: String
        public let verifyingContract: String
        public let salt: String
        public let maker: String
        public let signer: String
        public let tokenID: String
        public let makerAmount: UInt64
        public let takerAmount: UInt64
        public let side: UInt8
        public let signatureType: UInt8
        public let timestamp: UInt64
        public let domainSeparator: String
        public let structHash: String
        public let digest: String
        public let signature: String
        public let postBody: String
    }

    public struct HMACCase: Sendable {
        public let secret: String
        public let timestamp: String
        public let method: String
        public let path: String
        public let body: String
        public let signature: String
    }

    public let signerAddress: String
    public let orderTypehash: String
    public let domainTypehash: String
    public let orders: [OrderCase]
    public let clobAuth: [(chain: UInt64, timestamp: String, nonce: UInt64, signature: String)]
    public let clobAuthTypehash: String
    public let clobAuthDomainSeparator137: String
    public let clobAuthDigest137: String
    public let hmac: [HMACCase]
    /// `"limit tick=0.01 BUY price=0.56 size=21.04"` → (makerAmount, takerAmount).
    public let amounts: [(name: String, maker: UInt64, taker: UInt64)]

    public static func load() throws -> PolymarketVectors {
        guard let url = Bundle.module.url(forResource: "polymarket-vectors", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else { throw CocoaError(.fileReadCorruptFile) }
        func string(_ object: [String: Any], _ key: String) -> String { object[key] as? String ?? "" }
        var orders: [OrderCase] = []
        for name in ["v2_ctf_exchange_BUY", "v2_ctf_exchange_SELL", "v2_negrisk_exchange_BUY"] {
            guard let entry = json[name] as? [String: Any], let domain = entry["domain"] as? [String: Any], let order = entry["order"] as? [String: Any]
            else { continue }
            orders.append(OrderCase(
                name: name, verifyingContract: string(domain, "verifyingContract"), salt: string(order, "salt"), maker: string(order, "maker"),
                signer: string(order, "signer"), tokenID: string(order, "tokenId"), makerAmount: UInt64(string(order, "makerAmount")) ?? 0,
                takerAmount: UInt64(string(order, "takerAmount")) ?? 0, side: UInt8(order["side"] as? Int ?? 0),
                signatureType: UInt8(order["signatureType"] as? Int ?? 0), timestamp: UInt64(string(order, "timestamp")) ?? 0,
                domainSeparator: string(entry, "domain_separator"), structHash: string(entry, "struct_hash"), digest: string(entry, "digest"),
                signature: string(entry, "signature"), postBody: string(entry, "post_body_compact")))
        }
        var hmac: [HMACCase] = [HMACCase(secret: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", timestamp: "1000000", method: "test-sign", path: "/orders",
                                         body: #"{"hash": "0x123"}"#, signature: string(json, "hmac_published"))]
        for name in ["hmac_post_order", "hmac_get_no_body"] {
            guard let entry = json[name] as? [String: Any] else { continue }
            hmac.append(HMACCase(secret: string(entry, "secret"), timestamp: string(entry, "timestamp"), method: string(entry, "method"),
                                 path: string(entry, "path"), body: string(entry, "body"), signature: string(entry, "signature")))
        }
        let amounts = ((json["amounts"] as? [String: [Int]]) ?? [:]).sorted { $0.key < $1.key }.map {
            (name: $0.key, maker: UInt64($0.value.first ?? 0), taker: UInt64($0.value.last ?? 0))
        }
        return PolymarketVectors(
            signerAddress: string(json, "signer_address"), orderTypehash: string(json, "order_typehash_v2"), domainTypehash: string(json, "domain_typehash"),
            orders: orders,
            clobAuth: [(137, "1700000000", 0, string(json, "clob_auth_chain137_ts1700000000_nonce0")),
                       (137, "10000000", 23, string(json, "clob_auth_chain137_ts10000000_nonce23")),
                       (80002, "10000000", 23, string(json, "clob_auth_amoy_ts10000000_nonce23"))],
            clobAuthTypehash: string(json, "clob_auth_typehash"), clobAuthDomainSeparator137: string(json, "clob_auth_domain_separator_137"),
            clobAuthDigest137: string(json, "clob_auth_digest_137_ts1700000000_nonce0"), hmac: hmac, amounts: amounts)
    }
}
