import Markets

/// Builds, checks and signs orders for one signer: amounts as the official client computes them, then
/// the venue's rules (an order it would refuse is refused here, with its reason, before anything is
/// signed), then the EIP-712 signature for the token's exchange.
public struct PolyOrderBuilder: Sendable {
    public let signer: EthereumSigner
    public let signatureType: PolySignatureType
    /// `maker`: the address holding the funds (`POLY_FUNDER`; the signer itself for type 0).
    public let funder: EthereumAddress
    public let chain: PolymarketChain
    /// Nonces prepared ahead for this signer (the order path's signature without its point
    /// multiplication); nil signs with RFC 6979 deterministic nonces, byte-identical to the official client.
    public let nonces: PreparedNonces?

    /// Type 0 trades the signer's own funds (a funder, if given, must be the signer); types 1 and 2 need
    /// the proxy or Safe address that holds them.
    public init(signer: EthereumSigner, signatureType: PolySignatureType = .eoa, funder: EthereumAddress? = nil,
                chain: PolymarketChain = .polygon, nonces: PreparedNonces? = nil) throws(PolyOrderRefusal) {
        if let nonces, nonces.signer !== signer { throw PolyOrderRefusal("the prepared nonces belong to another signer") }
        switch signatureType {
        case .eoa:
            if let funder, funder != signer.address {
                throw PolyOrderRefusal("POLY_FUNDER \(funder) differs from the signer \(signer.address): signature type 0 trades the signer's own funds")
            }
            self.funder = signer.address
        case .polyProxy, .polyGnosisSafe:
            guard let funder else { throw PolyOrderRefusal("signature type \(signatureType.rawValue) needs POLY_FUNDER (the proxy or Safe address that holds the funds)") }
            self.funder = funder
        }
        self.signer = signer
        self.signatureType = signatureType
        self.chain = chain
        self.nonces = nonces
    }

    /// What an order needs beyond its price and size.
    public struct Market: Sendable, Hashable {
        public var tokenID: UInt256
        public var tick: PolyTickSize
        public var negRisk: Bool
        /// `min_order_size` of the book, when known.
        public var minimumSize: Dollars?

        public init(tokenID: UInt256, tick: PolyTickSize, negRisk: Bool, minimumSize: Dollars? = nil) {
            self.tokenID = tokenID
            self.tick = tick
            self.negRisk = negRisk
            self.minimumSize = minimumSize
        }
    }

    /// A limit-priced order of `size` shares (the client's `create_order`, for any order type), checked and
    /// signed. `salt` and `timestamp` default to a random salt below 2⁵³ and the current time.
    public func order(_ market: Market, side: PolySide, price: Dollars, size: Dollars, type: PolyOrderType, salt: UInt256? = nil,
                      timestamp: UInt64? = nil, expiration: UInt64 = 0, nowMilliseconds: UInt64) throws(PolyOrderRefusal) -> SignedPolyOrder {
        let amounts = try PolyAmounts.limit(side: side, price: price, size: size, tick: market.tick)
        try amounts.validate(side: side, type: type, tick: market.tick, minimumSize: market.minimumSize)
        if type == .gtd, expiration <= nowMilliseconds / 1_000 + 60 {
            throw PolyOrderRefusal("invalid expiration: a GTD order expires at least a minute from now (unix seconds)")
        }
        if type != .gtd, expiration != 0 { throw PolyOrderRefusal("invalid expiration: only GTD orders expire") }
        let order = PolyOrder(salt: salt ?? Self.salt(nowMilliseconds: nowMilliseconds), maker: funder, signer: signer.address, tokenID: market.tokenID,
                              makerAmount: amounts.makerAmount, takerAmount: amounts.takerAmount, side: side, signatureType: signatureType,
                              timestamp: timestamp ?? nowMilliseconds, expiration: expiration)
        let exchange = PolymarketExchange(negRisk: market.negRisk)
        if let nonces { return order.signed(by: nonces, exchange: exchange, chain: chain) }
        return order.signed(by: signer, exchange: exchange, chain: chain)
    }

    /// A salt as the official clients draw one: uniform below the current time in milliseconds (< 2⁵³,
    /// exact in JSON and JavaScript).
    public static func salt(nowMilliseconds: UInt64) -> UInt256 {
        UInt256(UInt64.random(in: 0..<max(nowMilliseconds, 2)))
    }
}
