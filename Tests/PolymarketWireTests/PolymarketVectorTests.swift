import ExecutorTesting
import Foundation
import Markets
import PolymarketWire
import Testing

@Suite("Polymarket wire: every vector of ../shared/vectors/polymarket.json")
struct PolymarketVectorTests {
    static let vectors = try! PolymarketVectors.load()
    static func signer() throws -> EthereumSigner { try EthereumSigner(privateKeyHex: PolymarketVectors.privateKey) }

    @Test("Keccak-256 is Ethereum's (not SHA3-256); the EIP-712 typehashes match")
    func keccak() {
        #expect(Hex.encode(Keccak256.hash([UInt8]())) == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Hex.encode(Keccak256.hash("abc")) == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
        // Messages across the 136-byte block boundary.
        #expect(Hex.encode(Keccak256.hash([UInt8](repeating: 0x61, count: 136))) != Hex.encode(Keccak256.hash([UInt8](repeating: 0x61, count: 135))))
        #expect(Hex.encode(PolyOrder.typehash) == Self.vectors.orderTypehash)
        #expect(Hex.encode(Keccak256.hash("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")) == Self.vectors.domainTypehash)
        #expect(Hex.encode(PolyL1.typehash) == Self.vectors.clobAuthTypehash)
    }

    @Test("the key's EIP-55 address; addresses with a wrong checksum are refused")
    func address() throws {
        let signer = try Self.signer()
        #expect(signer.address.checksummed == Self.vectors.signerAddress)
        #expect(EthereumAddress(hex: Self.vectors.signerAddress.lowercased()) == signer.address)
        #expect(EthereumAddress(hex: "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266") == nil, "one letter's case flipped")
        #expect(!"\(signer)".contains("ac0974"), "the key never shows")
        #expect(throws: PolyKeyErrorMatcher.self) { try EthereumSigner(privateKeyHex: "0x1234") }
    }

    @Test("V2 orders: domain separator, struct hash, digest, signature (v = recid + 27) and the POST /order body, byte for byte",
          arguments: Self.vectors.orders.map(\.name))
    func orders(name: String) throws {
        let v = try #require(Self.vectors.orders.first { $0.name == name })
        let exchange: PolymarketExchange = v.verifyingContract.lowercased() == PolymarketExchange.negRisk.contract.checksummed.lowercased() ? .negRisk : .ctf
        let order = PolyOrder(salt: try #require(UInt256(decimal: v.salt)), maker: try #require(EthereumAddress(hex: v.maker)),
                              signer: try #require(EthereumAddress(hex: v.signer)), tokenID: try #require(UInt256(decimal: v.tokenID)),
                              makerAmount: v.makerAmount, takerAmount: v.takerAmount, side: try #require(PolySide(rawValue: v.side)),
                              signatureType: try #require(PolySignatureType(rawValue: v.signatureType)), timestamp: v.timestamp)
        #expect(Hex.encode(exchange.domain(chain: .polygon).separator) == v.domainSeparator)
        #expect(Hex.encode(order.structHash) == v.structHash)
        let signed = order.signed(by: try Self.signer(), exchange: exchange)
        #expect(signed.orderID == v.digest, "the order's id is its EIP-712 digest")
        #expect(Hex.encode(signed.signature) == v.signature)
        #expect(signed.postBody(owner: "00000000-0000-0000-0000-000000000000", orderType: .fak) == v.postBody)
        #expect(EthereumSigner.recover(digest: signed.orderHash, signature: signed.signature) == order.signer, "the signer recovers")
    }

    @Test("L1 ClobAuth: typehash, domain separator, digest and signatures on Polygon and Amoy")
    func clobAuth() throws {
        let signer = try Self.signer()
        #expect(Hex.encode(PolyL1.domain(chain: .polygon).separator) == Self.vectors.clobAuthDomainSeparator137)
        #expect(Hex.encode(PolyL1.digest(address: signer.address, timestamp: "1700000000", nonce: .zero, chain: .polygon)) == Self.vectors.clobAuthDigest137)
        for entry in Self.vectors.clobAuth {
            let chain = try #require(PolymarketChain(rawValue: entry.chain))
            let headers = PolyL1.headers(signer: signer, timestamp: entry.timestamp, nonce: UInt256(entry.nonce), chain: chain)
            #expect(headers.first { $0.name == "POLY_SIGNATURE" }?.value == entry.signature, "chain \(entry.chain) ts \(entry.timestamp)")
            #expect(headers.map(\.name) == ["POLY_ADDRESS", "POLY_SIGNATURE", "POLY_TIMESTAMP", "POLY_NONCE"])
        }
    }

    @Test("L2 HMAC over the exact body bytes: the published vector and the POST /order and GET cases")
    func hmac() throws {
        for entry in Self.vectors.hmac {
            #expect(try PolyL2.signature(secret: entry.secret, timestamp: entry.timestamp, method: entry.method, path: entry.path,
                                         body: Array(entry.body.utf8)) == entry.signature, "\(entry.method) \(entry.path)")
        }
        #expect(throws: PolyL2.Failure.secretNotBase64) {
            try PolyL2.signature(secret: "not base64!", timestamp: "1", method: "GET", path: "/", body: [UInt8]())
        }
    }

    @Test("amounts exactly as the official client computes them, for every tick size, limit and market, BUY and SELL",
          arguments: Self.vectors.amounts.map(\.name))
    func amounts(name: String) throws {
        let entry = try #require(Self.vectors.amounts.first { $0.name == name })
        // "limit tick=0.01 BUY price=0.56 size=21.04"
        var fields: [String: String] = [:]
        for part in name.split(separator: " ").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) } else { fields["side"] = String(part) }
        }
        let tick = try #require(PolyTickSize(parsing: fields["tick"] ?? ""))
        let side = try #require(PolySide(wire: fields["side"] ?? ""))
        let price = try Dollars(parsing: fields["price"] ?? "")
        let amounts = name.hasPrefix("limit")
            ? try PolyAmounts.limit(side: side, price: price, size: try Dollars(parsing: fields["size"] ?? ""), tick: tick)
            : try PolyAmounts.market(side: side, price: price, amount: try Dollars(parsing: fields["amount"] ?? ""), tick: tick)
        #expect(amounts == PolyAmounts(makerAmount: entry.maker, takerAmount: entry.taker))
    }
}

/// Matches any `PolymarketKeyError`.
typealias PolyKeyErrorMatcher = PolymarketKeyError
