import Markets

/// BUY or SELL: 0 or 1 in the signed struct, `"BUY"`/`"SELL"` in JSON.
public enum PolySide: UInt8, Sendable, Hashable, CaseIterable {
    case buy = 0
    case sell = 1

    public var wire: String { self == .buy ? "BUY" : "SELL" }

    public init?(wire: String) {
        switch wire.uppercased() {
        case "BUY": self = .buy
        case "SELL": self = .sell
        default: return nil
        }
    }
}

/// Who signs for whom (`POLY_SIGNATURE_TYPE`): an EOA trading its own funds (0), or an EOA signing for
/// its Polymarket proxy wallet (1, Magic/email accounts) or its Gnosis Safe (2), with the funds held at
/// `POLY_FUNDER`.
public enum PolySignatureType: UInt8, Sendable, Hashable, CaseIterable {
    case eoa = 0
    case polyProxy = 1
    case polyGnosisSafe = 2
}

/// `orderType` of `POST /order`.
public enum PolyOrderType: String, Sendable, Hashable, CaseIterable {
    /// Fill and kill: what can fill now, the rest cancelled.
    case fak = "FAK"
    /// Fill or kill: all now or nothing.
    case fok = "FOK"
    case gtc = "GTC"
    /// Good till date (`expiration`, unix seconds).
    case gtd = "GTD"

    /// Executes immediately or not at all (the server's market-order precision rules apply).
    public var isImmediate: Bool { self == .fak || self == .fok }
}

/// A CLOB V2 order (polymarket.md §2): the 11 signed fields, plus `expiration`, which travels in the JSON
/// body only.
public struct PolyOrder: Hashable, Sendable {
    public var salt: UInt256
    /// The funder: the address holding the funds (the EOA itself for signature type 0).
    public var maker: EthereumAddress
    /// The EOA that signs.
    public var signer: EthereumAddress
    public var tokenID: UInt256
    /// 6-decimal base units: collateral paid (BUY) or shares given (SELL).
    public var makerAmount: UInt64
    /// 6-decimal base units: shares received (BUY) or collateral received (SELL).
    public var takerAmount: UInt64
    public var side: PolySide
    public var signatureType: PolySignatureType
    /// Unix milliseconds.
    public var timestamp: UInt64
    public var metadata: [UInt8]
    public var builder: [UInt8]
    /// Unix seconds; 0 = none. Not signed.
    public var expiration: UInt64

    public static let zero32 = [UInt8](repeating: 0, count: 32)

    public init(salt: UInt256, maker: EthereumAddress, signer: EthereumAddress, tokenID: UInt256, makerAmount: UInt64, takerAmount: UInt64,
                side: PolySide, signatureType: PolySignatureType, timestamp: UInt64, metadata: [UInt8] = PolyOrder.zero32,
                builder: [UInt8] = PolyOrder.zero32, expiration: UInt64 = 0) {
        self.salt = salt
        self.maker = maker
        self.signer = signer
        self.tokenID = tokenID
        self.makerAmount = makerAmount
        self.takerAmount = takerAmount
        self.side = side
        self.signatureType = signatureType
        self.timestamp = timestamp
        self.metadata = metadata
        self.builder = builder
        self.expiration = expiration
    }

    public static let typeString =
        "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)"
    public static let typehash = Keccak256.hash(typeString)

    /// `keccak256(abi.encode(typehash, salt, maker, signer, tokenId, makerAmount, takerAmount, side, signatureType, timestamp, metadata, builder))`.
    public var structHash: [UInt8] {
        withUnsafeTemporaryAllocation(byteCount: 12 * 32, alignment: 8) { buffer in
            var writer = ABIWriter(buffer)
            writer.bytes(Self.typehash)
            writer.uint(salt)
            writer.address(maker)
            writer.address(signer)
            writer.uint(tokenID)
            writer.uint(UInt256(makerAmount))
            writer.uint(UInt256(takerAmount))
            writer.uint(UInt256(UInt64(side.rawValue)))
            writer.uint(UInt256(UInt64(signatureType.rawValue)))
            writer.uint(UInt256(timestamp))
            writer.bytes(metadata)
            writer.bytes(builder)
            return Keccak256.hash(bytes: UnsafeRawBufferPointer(buffer))
        }
    }

    /// The EIP-712 digest under `domain`: what is signed, and the order's id on the venue.
    public func digest(domainSeparator: [UInt8]) -> [UInt8] { EIP712.digest(domainSeparator: domainSeparator, structHash: structHash) }

    /// Signs the order for `exchange` on `chain`.
    public func signed(by signer: some DigestSigner, exchange: PolymarketExchange, chain: PolymarketChain = .polygon) -> SignedPolyOrder {
        let digest = digest(domainSeparator: exchange.separator(chain: chain))
        return SignedPolyOrder(order: self, signature: signer.sign(digest: digest), orderHash: digest, exchange: exchange)
    }
}

/// A signed order, ready to send.
public struct SignedPolyOrder: Hashable, Sendable {
    public let order: PolyOrder
    /// 65 bytes `r ‖ s ‖ v`.
    public let signature: [UInt8]
    /// The EIP-712 digest: the venue's order id (`orderID`), known before the order is sent.
    public let orderHash: [UInt8]
    public let exchange: PolymarketExchange

    public init(order: PolyOrder, signature: [UInt8], orderHash: [UInt8], exchange: PolymarketExchange) {
        self.order = order
        self.signature = signature
        self.orderHash = orderHash
        self.exchange = exchange
    }

    /// `0x` + 64 lowercase hex digits.
    public var orderID: String { Hex.encode(orderHash) }

    /// The `order` object as the official client serializes it (py-clob-client-v2 `order_to_json_v2`):
    /// compact, keys in that order, `salt` and `signatureType` numbers, amounts and `tokenId` strings.
    public var orderJSON: String {
        let order = order
        var out = "{\"salt\":"
        out += order.salt.description
        out += ",\"maker\":\"" + order.maker.checksummed
        out += "\",\"signer\":\"" + order.signer.checksummed
        out += "\",\"tokenId\":\"" + order.tokenID.description
        out += "\",\"makerAmount\":\"" + String(order.makerAmount)
        out += "\",\"takerAmount\":\"" + String(order.takerAmount)
        out += "\",\"side\":\"" + order.side.wire
        out += "\",\"expiration\":\"" + String(order.expiration)
        out += "\",\"signatureType\":" + String(order.signatureType.rawValue)
        out += ",\"timestamp\":\"" + String(order.timestamp)
        out += "\",\"metadata\":\"" + Hex.encode(order.metadata)
        out += "\",\"builder\":\"" + Hex.encode(order.builder)
        out += "\",\"signature\":\"" + Hex.encode(signature) + "\"}"
        return out
    }

    /// The `POST /order` body, byte for byte what the official client sends (and HMACs):
    /// `{"order":{…},"owner":"<api key>","orderType":"FAK","deferExec":false,"postOnly":false}`.
    public func postBody(owner: String, orderType: PolyOrderType, deferExec: Bool = false, postOnly: Bool = false) -> String {
        "{\"order\":" + orderJSON + ",\"owner\":\"" + JSONString.escaped(owner) + "\",\"orderType\":\"" + orderType.rawValue
            + "\",\"deferExec\":" + String(deferExec) + ",\"postOnly\":" + String(postOnly) + "}"
    }
}
