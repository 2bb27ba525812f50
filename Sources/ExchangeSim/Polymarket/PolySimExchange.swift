import Foundation
import Markets
import PolymarketWire

/// A refusal the Polymarket simulator answers with the venue's `{"error": "…"}` body.
public struct PolySimError: Error, Sendable, Hashable {
    public let status: Int
    public let message: String
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
    public var body: PolyErrorBody { PolyErrorBody(error: message) }
}

/// What the simulator's WebSocket sessions hear.
public enum PolySimEvent: Sendable {
    /// A token's book changed: the levels that changed, the book hash after the change; `version` orders
    /// it against a snapshot (`bookSnapshot`).
    case priceChange(PolyWSPriceChange, version: UInt64)
    case lastTrade(PolyWSLastTrade)
    case tickSizeChange(PolyWSTickSizeChange)
    /// An order event for its owner (API key).
    case order(owner: String, PolyWSOrder)
    /// A trade event for one of its parties (API key).
    case trade(owner: String, PolyTrade)
}

/// The simulated Polymarket CLOB V2: markets (conditions with YES and NO tokens), matching on each
/// condition's YES scale (buying NO at q meets selling YES at 1 − q), accounts with pUSD and token
/// balances, orders identified by their EIP-712 hash, trades that go MATCHED → MINED → CONFIRMED (or
/// FAILED, reversed), and the venue's refusals in its own words. All state lives in this actor.
public actor PolySimExchange {
    public struct Configuration: Sendable {
        public var markets: [PolySimMarketSpec] = PolySimCatalog.standard()
        /// pUSD every new account starts with.
        public var startingCollateral = Dollars(micros: 100_000 * 1_000_000)
        public var chain: PolymarketChain = .polygon
        /// Unix milliseconds.
        public var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
        /// How long a trade stays MATCHED, then MINED, before the next status (`nil`: only `advanceTrades`).
        public var statusStep: Duration? = .milliseconds(150)
        /// Open orders of a key that has sent a heartbeat are cancelled when no heartbeat follows within
        /// this long (the venue's 10 s plus its 5 s grace).
        public var heartbeatTimeout: Duration = .seconds(15)
        public init() {}
    }

    struct Account {
        var collateral: Int64
        var tokens: [String: Int64] = [:]
        /// Held by resting orders: pUSD for buys, shares for sells, by order id.
        var reservedCollateral: [String: Int64] = [:]
        var reservedTokens: [String: (token: String, amount: Int64)] = [:]

        func availableCollateral() -> Int64 { collateral - reservedCollateral.values.reduce(0, +) }
        func availableTokens(_ token: String) -> Int64 {
            (tokens[token] ?? 0) - reservedTokens.values.filter { $0.token == token }.reduce(0) { $0 + $1.amount }
        }
    }

    struct Credentials {
        let apiKey: String
        let secret: String
        let passphrase: String
        /// The signer (EOA) the key belongs to.
        let address: EthereumAddress
        /// The funder of the key's latest order (a proxy or Safe for signature types 1 and 2): where
        /// `GET /balance-allowance?signature_type=1|2` looks.
        var funder: EthereumAddress?
        /// The heartbeat id the next `POST /v1/heartbeats` must carry, and when the last one came.
        var heartbeatID: String?
        var lastHeartbeatMs: Int64 = 0
    }

    struct OrderRecord {
        let id: String
        let owner: String
        let maker: EthereumAddress
        let conditionID: String
        let token: String
        let outcome: OutcomeSide
        let side: PolySide
        /// The token's price.
        let price: Price
        let original: Contracts
        var matched: Contracts = .zero
        /// `LIVE`, `MATCHED`, `CANCELED`, `DELAYED`, `UNMATCHED`.
        var status: String
        let orderType: PolyOrderType
        let expiration: UInt64
        let createdMs: Int64
        var tradeIDs: [String] = []
    }

    struct TradeRecord {
        let id: String
        let conditionID: String
        let takerOrderID: String
        let makerOrderID: String
        /// The taker's token and side; the maker's may be the other token (a mint or a merge).
        let takerToken: String
        let takerSide: PolySide
        let makerToken: String
        let makerSide: PolySide
        /// YES price of the match (the maker's price on the YES scale).
        let yesPrice: Price
        let count: Contracts
        let takerFee: Int64
        var status: String = "MATCHED"
        let matchMs: Int64
        var updateMs: Int64
        let failing: Bool
    }

    public let configuration: Configuration
    private var specs: [String: PolySimMarketSpec] = [:]
    private var marketOfToken: [String: String] = [:]
    private var books: [String: MatchingBook] = [:]
    private var lastTradePrice: [String: Price] = [:]
    private var accounts: [EthereumAddress: Account] = [:]
    private var credentials: [String: Credentials] = [:]
    private var orders: [String: OrderRecord] = [:]
    private var orderSequence: [String] = []
    private var trades: [String: TradeRecord] = [:]
    private var tradeSequence: [String] = []
    private var sequence: UInt64 = 0
    /// Counts book changes (orders a WebSocket snapshot against later `price_change` events).
    private var bookVersion: UInt64 = 0
    private var tradeCounter = 0
    private var listeners: [UUID: @Sendable (PolySimEvent) -> Void] = [:]
    /// The next N marketable orders answer `live` with nothing matched and match `delay` later (TS-35).
    private var delayedOrders = 0
    private var delay: Duration? = .milliseconds(300)
    /// Whether a `DELETE /order` cancels a DELAYED order; when not, it answers `not_canceled` and the order
    /// still matches when its delay ends (the venue's documented answer, whatever it means of the order).
    private var delayedCancellable = true
    /// The next N trades go MATCHED → FAILED (their transfers reversed).
    private var failingTrades = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        for spec in configuration.markets {
            specs[spec.conditionID] = spec
            marketOfToken[spec.yesToken] = spec.conditionID
            marketOfToken[spec.noToken] = spec.conditionID
            books[spec.conditionID] = MatchingBook(ticker: spec.conditionID)
        }
    }

    private var nowMs: Int64 { configuration.now() }

    // MARK: Listing

    public var markets: [PolySimMarketSpec] { configuration.markets.compactMap { specs[$0.conditionID] } }

    public func market(token: String) -> PolySimMarketSpec? { marketOfToken[token].flatMap { specs[$0] } }
    public func market(condition: String) -> PolySimMarketSpec? { specs[condition] }

    // MARK: Listeners

    public func addListener(_ listener: @escaping @Sendable (PolySimEvent) -> Void) -> UUID {
        let id = UUID()
        listeners[id] = listener
        return id
    }

    public func removeListener(_ id: UUID) { listeners[id] = nil }

    private func publish(_ event: PolySimEvent) { for listener in listeners.values { listener(event) } }

    // MARK: Modes (tests and `sim --venue polymarket` flags)

    /// The next `count` marketable orders are accepted as `live` with nothing matched and match after `delay`
    /// (`nil`: when `releaseDelayed()` is called). With `cancellable: false`, cancelling one while it waits
    /// answers `not_canceled` ("Order not found or already canceled", the docs' example) and leaves it be.
    public func delayNextOrders(_ count: Int, by delay: Duration? = .milliseconds(300), cancellable: Bool = true) {
        delayedOrders = count
        self.delay = delay
        delayedCancellable = cancellable
    }

    /// Every DELAYED order matches now.
    public func releaseDelayed() {
        for id in orderSequence where orders[id]?.status == "DELAYED" { matchDelayed(id) }
    }

    /// The next `count` trades fail settlement: MATCHED, then FAILED with their transfers reversed.
    public func failNextTrades(_ count: Int) { failingTrades = count }

    // MARK: Accounts and credentials

    private func account(_ address: EthereumAddress) -> Account {
        accounts[address] ?? Account(collateral: configuration.startingCollateral.micros)
    }

    /// The credentials of `address` for `nonce`, derived deterministically (the same address and nonce
    /// always give the same key).
    static func derivedCredentials(for address: EthereumAddress, nonce: UInt256) -> PolyAPIKeyResponse {
        let seed = Keccak256.hash(address.bytes + nonce.word)
        let key = uuid(Array(seed[0..<16]))
        let secret = Data(Keccak256.hash(seed)).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let passphrase = Hex.encode(Array(Keccak256.hash(seed + [1])[0..<16]), prefix: false)
        return PolyAPIKeyResponse(apiKey: key, secret: secret, passphrase: passphrase)
    }

    /// `POST /auth/api-key`: creates the key of `address` for `nonce`; a key that exists cannot be created
    /// again (derive it).
    public func createAPIKey(for address: EthereumAddress, nonce: UInt256) -> Result<PolyAPIKeyResponse, PolySimError> {
        let made = Self.derivedCredentials(for: address, nonce: nonce)
        guard credentials[made.apiKey] == nil else { return .failure(PolySimError(400, "Could not create api key")) }
        register(apiKey: made.apiKey, secret: made.secret, passphrase: made.passphrase, address: address)
        return .success(made)
    }

    /// `GET /auth/derive-api-key`: the existing key of `address` for `nonce`.
    public func deriveAPIKey(for address: EthereumAddress, nonce: UInt256) -> Result<PolyAPIKeyResponse, PolySimError> {
        let made = Self.derivedCredentials(for: address, nonce: nonce)
        guard credentials[made.apiKey] != nil else { return .failure(PolySimError(400, "Could not derive api key!")) }
        return .success(made)
    }

    /// Registers known credentials (tests, `sim --venue polymarket` with a key file).
    public func register(apiKey: String, secret: String, passphrase: String, address: EthereumAddress) {
        credentials[apiKey] = Credentials(apiKey: apiKey, secret: secret, passphrase: passphrase, address: address)
        if accounts[address] == nil { accounts[address] = account(address) }
    }

    func lookup(apiKey: String) -> Credentials? { credentials[apiKey] }

    /// Where a key's balance is held for a signature type: the signer for 0, the funder of its orders otherwise.
    func holder(apiKey: String, signatureType: Int) -> EthereumAddress? {
        guard let key = credentials[apiKey] else { return nil }
        return signatureType == 0 ? key.address : (key.funder ?? key.address)
    }

    // MARK: Heartbeats (dead-man switch)

    /// `POST /v1/heartbeats`: the first carries `""`, each later one the id the previous answer gave.
    public func heartbeat(owner: String, id: String) -> Result<String, PolySimError> {
        guard var key = credentials[owner] else { return .failure(PolySimError(401, "Unauthorized/Invalid api key")) }
        if let expected = key.heartbeatID, !id.isEmpty, id != expected { return .failure(PolySimError(400, "Invalid Heartbeat ID")) }
        if key.heartbeatID == nil, !id.isEmpty { return .failure(PolySimError(400, "Invalid Heartbeat ID")) }
        let next = UUID().uuidString.lowercased()
        key.heartbeatID = next
        key.lastHeartbeatMs = nowMs
        credentials[owner] = key
        return .success(next)
    }

    /// Cancels every open order of each key whose heartbeats stopped; returns the keys that expired.
    @discardableResult
    public func expireHeartbeats() -> [String] {
        let limit = configuration.heartbeatTimeout.wholeMilliseconds
        let now = nowMs
        var expired: [String] = []
        for (apiKey, key) in credentials where key.heartbeatID != nil && now - key.lastHeartbeatMs > limit {
            credentials[apiKey]?.heartbeatID = nil
            _ = cancelAll(owner: apiKey)
            expired.append(apiKey)
        }
        return expired.sorted()
    }

    static func uuid(_ bytes: [UInt8]) -> String {
        let hex = Hex.encode(bytes, prefix: false)
        let chars = Array(hex)
        return [chars[0..<8], chars[8..<12], chars[12..<16], chars[16..<20], chars[20..<32]].map { String($0) }.joined(separator: "-")
    }

    /// Sets an account's pUSD or token balance outright (tests: an account short of funds).
    public func setBalance(_ address: EthereumAddress, collateral: Dollars? = nil, token: String? = nil, shares: Contracts? = nil) {
        var account = account(address)
        if let collateral { account.collateral = collateral.micros }
        if let token, let shares { account.tokens[token] = shares.hundredths * 10_000 }
        accounts[address] = account
    }

    /// `GET /balance-allowance` for a key: pUSD (or `token` shares) in 6-decimal base units, `nil` for an unknown key.
    public func balance(apiKey: String, signatureType: Int, token: String?) -> Int64? {
        holder(apiKey: apiKey, signatureType: signatureType).map { balance($0, token: token) }
    }

    public func balance(_ address: EthereumAddress, token: String? = nil) -> Int64 {
        let account = account(address)
        if let token { return account.availableTokens(token) }
        return account.availableCollateral()
    }

    // MARK: Books

    /// A token's book on its own price scale: bids ascending, asks descending (best last), as `GET /book`.
    public func bookSummary(token: String, timestamp: Int64? = nil) -> PolyBookSummary? {
        guard let condition = marketOfToken[token], let spec = specs[condition], let book = books[condition]?.orderBook else { return nil }
        let side = spec.outcome(of: token) ?? .yes
        let bids = book.bids(side).map { Self.level($0.price, $0.size) }  // ascending, best last
        let asks = book.asks(side).reversed().map { Self.level($0.price, $0.size) }  // descending, best last
        var summary = PolyBookSummary(market: condition, assetID: token, timestamp: String(timestamp ?? nowMs), hash: "", bids: bids, asks: asks,
                                      minOrderSize: spec.minimumSize.wireString.trimmedDecimalText, tickSize: spec.tick.description,
                                      negRisk: spec.negRisk, lastTradePrice: lastTradePrice[token].map { $0.wireString.trimmedDecimalText } ?? "")
        summary.hash = summary.computedHash
        return summary
    }

    /// Books of `tokens` with the version they reflect: a `price_change` with a higher version came after.
    public func bookSnapshot(_ tokens: [String]) -> (version: UInt64, books: [PolyBookSummary]) {
        (bookVersion, tokens.compactMap { bookSummary(token: $0) })
    }

    static func level(_ price: Price, _ size: Contracts) -> PolyLevel {
        PolyLevel(price: price.wireString.trimmedDecimalText, size: size.wireString.trimmedDecimalText)
    }

    /// Rests a maker order directly (tests and synthetic liquidity): `count` of `token` bought or sold at `price`.
    @discardableResult
    public func quote(_ token: String, _ side: PolySide, price: Price, count: Contracts, owner: String = "sim-mm") -> String? {
        guard let condition = marketOfToken[token], let spec = specs[condition], let outcome = spec.outcome(of: token) else { return nil }
        let before = tokenBooks(condition)
        sequence += 1
        let id = "0xmm" + String(sequence)
        let (bookSide, yesPrice) = Self.yesScale(side, outcome, price)
        var book = books[condition] ?? MatchingBook(ticker: condition)
        _ = book.submit(SimOrder(orderID: id, account: owner, side: bookSide, price: yesPrice, remaining: count, sequence: sequence),
                        MatchInstructions(timeInForce: .goodTillCanceled))
        books[condition] = book
        orders[id] = OrderRecord(id: id, owner: owner, maker: .zero, conditionID: condition, token: token, outcome: outcome, side: side, price: price,
                                 original: count, status: "LIVE", orderType: .gtc, expiration: 0, createdMs: nowMs)
        announceBookChanges(condition, before: before)
        return id
    }

    /// A token order on the YES scale: buying YES at p bids p; buying NO at q asks 1 − q.
    static func yesScale(_ side: PolySide, _ outcome: OutcomeSide, _ price: Price) -> (BookSide, Price) {
        switch (side, outcome) {
        case (.buy, .yes): (.bid, price)
        case (.sell, .yes): (.ask, price)
        case (.buy, .no): (.ask, price.complement)
        case (.sell, .no): (.bid, price.complement)
        }
    }

    private func tokenBooks(_ condition: String) -> [String: PolyBookSummary] {
        guard let spec = specs[condition] else { return [:] }
        var out: [String: PolyBookSummary] = [:]
        for token in [spec.yesToken, spec.noToken] { out[token] = bookSummary(token: token) }
        return out
    }

    /// `price_change` for every level that changed in either token's book.
    private func announceBookChanges(_ condition: String, before: [String: PolyBookSummary]) {
        let now = nowMs
        var changes: [PolyPriceChange] = []
        for (token, old) in before.sorted(by: { $0.key < $1.key }) {
            guard let new = bookSummary(token: token, timestamp: now) else { continue }
            func diff(_ oldLevels: [PolyLevel], _ newLevels: [PolyLevel], side: String) {
                let oldSizes = Dictionary(oldLevels.map { ($0.price, $0.size) }, uniquingKeysWith: { first, _ in first })
                let newSizes = Dictionary(newLevels.map { ($0.price, $0.size) }, uniquingKeysWith: { first, _ in first })
                for price in Set(oldSizes.keys).union(newSizes.keys).sorted() where oldSizes[price] != newSizes[price] {
                    changes.append(PolyPriceChange(assetID: token, price: price, size: newSizes[price] ?? "0", side: side, hash: new.hash,
                                                   bestBid: new.bids.last?.price, bestAsk: new.asks.last?.price))
                }
            }
            diff(old.bids, new.bids, side: "BUY")
            diff(old.asks, new.asks, side: "SELL")
        }
        guard !changes.isEmpty else { return }
        bookVersion += 1
        publish(.priceChange(PolyWSPriceChange(market: condition, priceChanges: changes, timestamp: String(now)), version: bookVersion))
    }

    /// Changes a market's tick (the venue does when the price nears the ends).
    public func changeTick(condition: String, to tick: PolyTickSize) {
        guard var spec = specs[condition] else { return }
        let old = spec.tick
        spec.tick = tick
        specs[condition] = spec
        for token in [spec.yesToken, spec.noToken] {
            publish(.tickSizeChange(PolyWSTickSizeChange(assetID: token, market: condition, oldTickSize: old.description, newTickSize: tick.description,
                                                         timestamp: String(nowMs))))
        }
    }

    // MARK: Orders

    /// Places a signed order for the API key `owner` (`POST /order`), checking what the venue checks, in
    /// its words: the signer recovered from the EIP-712 signature, the key's address and ownership, the
    /// tick, the amounts' precision, the minimum size, the balance, a duplicate id.
    public func place(_ order: PolyOrder, signature: [UInt8], owner: String, type: PolyOrderType, postOnly: Bool = false) -> Result<PolyOrderResponse, PolySimError> {
        guard let credentials = credentials[owner] else { return .failure(PolySimError(401, "Unauthorized/Invalid api key")) }
        let token = order.tokenID.description
        guard let condition = marketOfToken[token], let spec = specs[condition], let outcome = spec.outcome(of: token) else {
            return .failure(PolySimError(400, "Invalid order payload"))
        }
        let digest = order.digest(domainSeparator: PolymarketExchange(negRisk: spec.negRisk).separator(chain: configuration.chain))
        let id = Hex.encode(digest)
        guard EthereumSigner.recover(digest: digest, signature: signature) == order.signer else { return .failure(PolySimError(400, "invalid signature")) }
        guard order.signer == credentials.address else { return .failure(PolySimError(400, "the order signer address has to be the address of the API KEY")) }
        self.credentials[owner]?.funder = order.maker
        if order.signatureType == .eoa, order.maker != order.signer { return .failure(PolySimError(400, "invalid signature")) }
        guard spec.active, !spec.closed else { return .failure(PolySimError(400, "the market is not yet ready to process new orders")) }
        guard orders[id] == nil else { return .failure(PolySimError(400, "order \(id) is invalid. Duplicated.")) }
        if postOnly, type.isImmediate { return .failure(PolySimError(400, "Invalid order payload")) }
        if type == .gtd, order.expiration <= UInt64(max(0, nowMs / 1_000)) { return .failure(PolySimError(400, "invalid expiration")) }
        let amounts = PolyAmounts(makerAmount: order.makerAmount, takerAmount: order.takerAmount)
        do {
            try amounts.validate(side: order.side, type: type, tick: spec.tick, minimumSize: spec.minimumSize)
        } catch {
            let message = error.description.replacingOccurrences(of: "order is invalid", with: "order \(id) is invalid")
            return .failure(PolySimError(400, message))
        }
        // The token price and the share count (hundredths; the venue's own precision is finer, see README).
        let (collateral, shares) = order.side == .buy ? (order.makerAmount, order.takerAmount) : (order.takerAmount, order.makerAmount)
        guard let price = Price(micros: Int64(collateral * 1_000_000 / max(shares, 1))) else { return .failure(PolySimError(400, "Invalid order payload")) }
        let count = Contracts(hundredths: Int64(shares / 10_000))
        var account = account(order.maker)
        let needed = order.side == .buy ? Int64(collateral) : Int64(shares)
        let available = order.side == .buy ? account.availableCollateral() : account.availableTokens(token)
        guard needed <= available else { return .failure(PolySimError(400, "not enough balance / allowance")) }
        var record = OrderRecord(id: id, owner: owner, maker: order.maker, conditionID: condition, token: token, outcome: outcome, side: order.side,
                                 price: price, original: count, status: "LIVE", orderType: type, expiration: order.expiration, createdMs: nowMs)
        if delayedOrders > 0, type.isImmediate {
            delayedOrders -= 1
            record.status = "DELAYED"
            orders[id] = record
            orderSequence.append(id)
            if order.side == .buy { account.reservedCollateral[id] = needed } else { account.reservedTokens[id] = (token, needed) }
            accounts[order.maker] = account
            if let delay {
                Task { [weak self] in
                    try? await Task.sleep(for: delay)
                    await self?.matchDelayed(id)
                }
            }
            publish(.order(owner: owner, wsOrder(record, type: "PLACEMENT")))
            return .success(PolyOrderResponse(success: true, errorMsg: "", orderID: id, status: "live", makingAmount: "0", takingAmount: "0",
                                              transactionsHashes: [], tradeIDs: []))
        }
        accounts[order.maker] = account
        return match(record, postOnly: postOnly)
    }

    private func matchDelayed(_ id: String) {
        guard var record = orders[id], record.status == "DELAYED" else { return }
        accounts[record.maker]?.reservedCollateral[id] = nil
        accounts[record.maker]?.reservedTokens[id] = nil
        record.status = "LIVE"
        orders[id] = record
        _ = match(record, postOnly: false, announcePlacement: false)
    }

    /// Matches an accepted order on its condition's YES book, settles the trades, rests or kills the rest.
    private func match(_ incoming: OrderRecord, postOnly: Bool, announcePlacement: Bool = true) -> Result<PolyOrderResponse, PolySimError> {
        var record = incoming
        let condition = record.conditionID
        let before = tokenBooks(condition)
        sequence += 1
        let (bookSide, yesPrice) = Self.yesScale(record.side, record.outcome, record.price)
        let tif: TimeInForce = switch record.orderType {
        case .fak: .immediateOrCancel
        case .fok: .fillOrKill
        case .gtc, .gtd: .goodTillCanceled
        }
        var book = books[condition] ?? MatchingBook(ticker: condition)
        let outcome = book.submit(SimOrder(orderID: record.id, account: record.maker.checksummed, side: bookSide, price: yesPrice,
                                           remaining: record.original, sequence: sequence),
                                  MatchInstructions(timeInForce: tif, postOnly: postOnly, selfTradePrevention: .takerAtCross))
        if outcome.postOnlyCross { return .failure(PolySimError(400, "invalid post-only order: order crosses book")) }
        if outcome.trades.isEmpty, record.orderType == .fak { return .failure(PolySimError(400, "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found.")) }
        if outcome.trades.isEmpty, record.orderType == .fok { return .failure(PolySimError(400, "order couldn't be fully filled. FOK orders are fully filled or killed.")) }
        books[condition] = book
        orders[record.id] = record
        orderSequence.append(record.id)
        var making: Int64 = 0, taking: Int64 = 0
        for trade in outcome.trades {
            let settled = settle(trade, taker: record)
            record = orders[record.id] ?? record
            let cost = Int64(clamping: Int128(settled.tokenPrice.micros) * Int128(trade.count.hundredths) / 100)
            if record.side == .buy { making += cost; taking += trade.count.hundredths * 10_000 } else { making += trade.count.hundredths * 10_000; taking += cost }
        }
        if outcome.rested.isPositive {
            if record.side == .buy {
                accounts[record.maker]?.reservedCollateral[record.id] = Int64(clamping: Int128(record.price.micros) * Int128(outcome.rested.hundredths) / 100)
            } else {
                accounts[record.maker]?.reservedTokens[record.id] = (record.token, outcome.rested.hundredths * 10_000)
            }
        }
        record.status = outcome.rested.isPositive ? "LIVE" : (record.matched.isPositive ? "MATCHED" : "CANCELED")
        orders[record.id] = record
        if announcePlacement, outcome.rested.isPositive, !record.matched.isPositive {
            publish(.order(owner: record.owner, wsOrder(record, type: "PLACEMENT")))
        }
        if !outcome.rested.isPositive, outcome.canceled.isPositive, record.matched.isPositive {
            publish(.order(owner: record.owner, wsOrder(record, type: "CANCELLATION")))
        }
        announceBookChanges(condition, before: before)
        let status = record.matched.isPositive ? "matched" : "live"
        return .success(PolyOrderResponse(success: true, errorMsg: "", orderID: record.id, status: status,
                                          makingAmount: Self.decimal(making), takingAmount: Self.decimal(taking),
                                          transactionsHashes: record.tradeIDs.map { "0x" + String($0.dropFirst(6)) }, tradeIDs: record.tradeIDs))
    }

    /// Applies one match: both orders' fills, both accounts' transfers, the trade record and its events.
    private func settle(_ trade: SimTrade, taker: OrderRecord) -> (record: TradeRecord, tokenPrice: Price) {
        tradeCounter += 1
        let id = "trade-" + String(tradeCounter)
        let maker = orders[trade.makerOrderID]
        let tokenPrice = trade.price.of(taker.outcome)
        let spec = specs[taker.conditionID]
        let fee = FeeSchedule.polymarket(feeRateBps: spec?.feeRateBps ?? 0).fee(count: trade.count, price: tokenPrice, role: .taker).micros
        let failing = failingTrades > 0
        if failing { failingTrades -= 1 }
        let record = TradeRecord(id: id, conditionID: taker.conditionID, takerOrderID: taker.id, makerOrderID: trade.makerOrderID,
                                 takerToken: taker.token, takerSide: taker.side, makerToken: maker?.token ?? taker.token,
                                 makerSide: maker?.side ?? (taker.side == .buy ? .sell : .buy), yesPrice: trade.price, count: trade.count,
                                 takerFee: fee, matchMs: nowMs, updateMs: nowMs, failing: failing)
        trades[id] = record
        tradeSequence.append(id)
        transfer(record, reverse: false)
        for (orderID, isTaker) in [(taker.id, true), (trade.makerOrderID, false)] {
            guard var order = orders[orderID] else { continue }
            order.matched = order.matched.addingSaturated(trade.count)
            order.tradeIDs.append(id)
            if !isTaker {
                if order.matched >= order.original {
                    order.status = "MATCHED"
                    accounts[order.maker]?.reservedCollateral[orderID] = nil
                    accounts[order.maker]?.reservedTokens[orderID] = nil
                } else if order.side == .buy {
                    accounts[order.maker]?.reservedCollateral[orderID] = Int64(clamping: Int128(order.price.micros) * Int128((try? order.original - order.matched)?.hundredths ?? 0) / 100)
                } else {
                    accounts[order.maker]?.reservedTokens[orderID] = (order.token, ((try? order.original - order.matched)?.hundredths ?? 0) * 10_000)
                }
            }
            orders[orderID] = order
            if !isTaker, !Self.isSynthetic(order.owner) { publish(.order(owner: order.owner, wsOrder(order, type: "UPDATE"))) }
        }
        lastTradePrice[taker.token] = tokenPrice
        publish(.lastTrade(PolyWSLastTrade(assetID: taker.token, market: taker.conditionID, price: tokenPrice.wireString.trimmedDecimalText,
                                           side: taker.side.wire, size: trade.count.wireString.trimmedDecimalText,
                                           feeRateBps: String(spec?.feeRateBps ?? 0), timestamp: String(nowMs))))
        announce(record)
        scheduleProgress(id)
        return (record, tokenPrice)
    }

    /// Moves pUSD and tokens for a trade (or back, when it fails): each side at its own token's price.
    private func transfer(_ trade: TradeRecord, reverse: Bool) {
        let sign: Int64 = reverse ? -1 : 1
        func apply(_ orderID: String, token: String, side: PolySide, fee: Int64) {
            guard let order = orders[orderID], !Self.isSynthetic(order.owner) else { return }
            let outcome = specs[trade.conditionID]?.outcome(of: token) ?? .yes
            let price = trade.yesPrice.of(outcome)
            let cost = Int64(clamping: Int128(price.micros) * Int128(trade.count.hundredths) / 100)
            let shares = trade.count.hundredths * 10_000
            var account = account(order.maker)
            switch side {
            case .buy:
                account.collateral -= sign * (cost + fee)
                account.tokens[token, default: 0] += sign * shares
            case .sell:
                account.collateral += sign * (cost - fee)
                account.tokens[token, default: 0] -= sign * shares
            }
            accounts[order.maker] = account
        }
        apply(trade.takerOrderID, token: trade.takerToken, side: trade.takerSide, fee: trade.takerFee)
        apply(trade.makerOrderID, token: trade.makerToken, side: trade.makerSide, fee: 0)
    }

    /// The simulator's own participants (market makers and takers) hold no account.
    static func isSynthetic(_ owner: String) -> Bool { owner.hasPrefix("sim-") }

    // MARK: Synthetic participants

    /// Rested orders of the simulator's market makers on one market.
    public func syntheticOrders(condition: String) -> [String] {
        orderSequence.filter { id in
            guard let order = orders[id] else { return false }
            return order.conditionID == condition && Self.isSynthetic(order.owner) && order.status == "LIVE"
        }
    }

    /// Cancels one of the simulator's own resting orders.
    public func cancelSynthetic(_ id: String) -> Bool {
        guard let owner = orders[id]?.owner, Self.isSynthetic(owner) else { return false }
        return !cancel([id], owner: owner).canceled.isEmpty
    }

    /// A synthetic taker's FAK at `price` for up to `count` of `token` (no signature, no account).
    @discardableResult
    public func syntheticTake(_ token: String, _ side: PolySide, price: Price, count: Contracts, owner: String = "sim-taker") -> Bool {
        guard let condition = marketOfToken[token], let spec = specs[condition], let outcome = spec.outcome(of: token), spec.active, !spec.closed else { return false }
        sequence += 1
        let record = OrderRecord(id: "0xtk" + String(sequence), owner: owner, maker: .zero, conditionID: condition, token: token, outcome: outcome, side: side,
                                 price: price, original: count, status: "LIVE", orderType: .fak, expiration: 0, createdMs: nowMs)
        if case .success = match(record, postOnly: false) { return true }
        return false
    }

    // MARK: Trade status

    private func scheduleProgress(_ id: String) {
        guard let step = configuration.statusStep else { return }
        Task { [weak self] in
            for _ in 0..<2 {
                try? await Task.sleep(for: step)
                guard let self, await self.progress(id) else { return }
            }
        }
    }

    /// One step of a trade's settlement: MATCHED → MINED → CONFIRMED, or MATCHED → FAILED (reversed).
    /// Returns whether the trade can still move.
    @discardableResult
    func progress(_ id: String) -> Bool {
        guard var trade = trades[id] else { return false }
        switch (trade.status, trade.failing) {
        case ("MATCHED", true):
            trade.status = "FAILED"
            transfer(trade, reverse: true)
            for orderID in [trade.takerOrderID, trade.makerOrderID] {
                guard var order = orders[orderID] else { continue }
                order.matched = (try? order.matched - trade.count) ?? .zero
                orders[orderID] = order
            }
        case ("MATCHED", false): trade.status = "MINED"
        case ("MINED", _): trade.status = "CONFIRMED"
        default: return false
        }
        trade.updateMs = nowMs
        trades[id] = trade
        announce(trade)
        return trade.status == "MINED"
    }

    /// Every trade not final moves one status step (for tests without a status timer).
    public func advanceTrades() {
        for id in tradeSequence { progress(id) }
    }

    private func announce(_ trade: TradeRecord) {
        for owner in Set([orders[trade.takerOrderID]?.owner, orders[trade.makerOrderID]?.owner].compactMap { $0 }) where !Self.isSynthetic(owner) {
            publish(.trade(owner: owner, wireTrade(trade, for: owner)))
        }
    }

    /// A trade as `owner` sees it (`trader_side` TAKER or MAKER).
    func wireTrade(_ trade: TradeRecord, for owner: String) -> PolyTrade {
        let taker = orders[trade.takerOrderID], maker = orders[trade.makerOrderID]
        let isTaker = taker?.owner == owner
        let order = isTaker ? taker : maker
        let token = order?.token ?? trade.takerToken
        let outcome = specs[trade.conditionID]?.outcome(of: token) ?? .yes
        let price = trade.yesPrice.of(outcome)
        let makerEntry = maker.map {
            PolyMakerOrder(orderID: $0.id, owner: $0.owner, makerAddress: $0.maker.checksummed, matchedAmount: trade.count.wireString.trimmedDecimalText,
                           price: trade.yesPrice.of($0.outcome).wireString.trimmedDecimalText, assetID: $0.token,
                           outcome: $0.outcome == .yes ? "Yes" : "No")
        }
        return PolyTrade(id: trade.id, takerOrderID: trade.takerOrderID, market: trade.conditionID, assetID: token,
                         side: (isTaker ? trade.takerSide : trade.makerSide).wire, size: trade.count.wireString.trimmedDecimalText,
                         price: price.wireString.trimmedDecimalText, status: trade.status, matchTime: String(trade.matchMs / 1_000),
                         lastUpdate: String(trade.updateMs / 1_000), outcome: outcome == .yes ? "Yes" : "No", owner: owner,
                         makerAddress: (order?.maker ?? .zero).checksummed, traderSide: isTaker ? "TAKER" : "MAKER",
                         feeRateBps: String(specs[trade.conditionID]?.feeRateBps ?? 0), transactionHash: "0x" + Hex.encode(Keccak256.hash(trade.id), prefix: false),
                         makerOrders: makerEntry.map { [$0] } ?? [])
    }

    func wsOrder(_ order: OrderRecord, type: String) -> PolyWSOrder {
        PolyWSOrder(id: order.id, market: order.conditionID, assetID: order.token, side: order.side.wire, price: order.price.wireString.trimmedDecimalText,
                    type: type, outcome: order.outcome == .yes ? "Yes" : "No", owner: order.owner, originalSize: order.original.wireString.trimmedDecimalText,
                    sizeMatched: order.matched.wireString.trimmedDecimalText, status: order.status, associateTrades: order.tradeIDs,
                    timestamp: String(nowMs))
    }

    static func decimal(_ micros: Int64) -> String { Dollars(micros: micros).wireString.trimmedDecimalText }

    // MARK: Queries and cancels

    /// Whether an order placed with key `orderOwner` is the caller's: the REST API answers for the account
    /// (the key's address), so every key of one address sees and cancels the same orders.
    func belongs(_ orderOwner: String, to caller: String) -> Bool {
        orderOwner == caller || (credentials[orderOwner]?.address).map { $0 == credentials[caller]?.address } ?? false
    }

    public func openOrder(_ id: String, owner: String) -> PolyOpenOrder? {
        guard let order = orders[id], belongs(order.owner, to: owner) else { return nil }
        return wireOrder(order)
    }

    func wireOrder(_ order: OrderRecord) -> PolyOpenOrder {
        PolyOpenOrder(id: order.id, status: "ORDER_STATUS_" + order.status, owner: order.owner, makerAddress: order.maker.checksummed, market: order.conditionID,
                      assetID: order.token, side: order.side.wire, originalSize: String(order.original.hundredths * 10_000),
                      sizeMatched: String(order.matched.hundredths * 10_000), price: order.price.wireString.trimmedDecimalText,
                      outcome: order.outcome == .yes ? "Yes" : "No", expiration: String(order.expiration), orderType: order.orderType.rawValue,
                      associateTrades: order.tradeIDs, createdAt: order.createdMs / 1_000)
    }

    /// The owner's orders (`GET /data/orders`): open ones, optionally of one market or token, 100 per page.
    public func openOrders(owner: String, market: String?, assetID: String?, id: String?, cursor: String?) -> PolyPage<PolyOpenOrder> {
        let all = orderSequence.compactMap { orders[$0] }.filter {
            belongs($0.owner, to: owner) && ($0.status == "LIVE" || $0.status == "DELAYED") && (market == nil || $0.conditionID == market)
                && (assetID == nil || $0.token == assetID) && (id == nil || $0.id == id)
        }
        return Self.page(all.map(wireOrder), cursor: cursor)
    }

    /// The owner's trades (`GET /data/trades`), optionally by id, market or token, 100 per page. `rest`: as
    /// the REST API writes them (status `TRADE_STATUS_…`, size in 6-decimal base units, as the CLOB OpenAPI
    /// shows) rather than as the user channel does.
    public func trades(owner: String, id: String?, market: String?, assetID: String?, cursor: String?, rest: Bool = false) -> PolyPage<PolyTrade> {
        let mine = tradeSequence.compactMap { trades[$0] }.filter { trade in
            let parties = [orders[trade.takerOrderID]?.owner, orders[trade.makerOrderID]?.owner].compactMap { $0 }
            return parties.contains { belongs($0, to: owner) } && (id == nil || trade.id == id) && (market == nil || trade.conditionID == market)
                && (assetID == nil || trade.takerToken == assetID || trade.makerToken == assetID)
        }
        return Self.page(mine.map { trade in
            // Seen from the caller's own order in it (another key of the same account counts as the caller).
            let viewer = [orders[trade.takerOrderID]?.owner, orders[trade.makerOrderID]?.owner].compactMap { $0 }.first { $0 == owner }
                ?? [orders[trade.takerOrderID]?.owner, orders[trade.makerOrderID]?.owner].compactMap { $0 }.first { belongs($0, to: owner) } ?? owner
            var wire = wireTrade(trade, for: viewer)
            if rest {
                wire.status = "TRADE_STATUS_" + wire.status
                wire.size = String(trade.count.hundredths * 10_000)
            }
            return wire
        }, cursor: cursor)
    }

    static func page<T>(_ items: [T], cursor: String?) -> PolyPage<T> {
        let offset = cursor.flatMap { Data(base64Encoded: $0) }.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
        let slice = Array(items.dropFirst(offset).prefix(100))
        let next = offset + slice.count < items.count ? Data(String(offset + slice.count).utf8).base64EncodedString() : PolyPage<T>.endCursor
        return PolyPage(limit: 100, nextCursor: next, count: slice.count, data: slice)
    }

    /// Cancels the owner's open orders among `ids` (`DELETE /order`, `DELETE /orders`).
    public func cancel(_ ids: [String], owner: String) -> PolyCancelResponse {
        var canceled: [String] = [], notCanceled: [String: String] = [:]
        for id in ids {
            guard var order = orders[id], belongs(order.owner, to: owner) else {
                notCanceled[id] = "Order not found or already canceled"
                continue
            }
            guard order.status == "LIVE" || (order.status == "DELAYED" && delayedCancellable) else {
                notCanceled[id] = order.status == "MATCHED" ? "order already matched" : "Order not found or already canceled"
                continue
            }
            let before = tokenBooks(order.conditionID)
            _ = books[order.conditionID]?.cancel(orderID: id)
            order.status = "CANCELED"
            orders[id] = order
            accounts[order.maker]?.reservedCollateral[id] = nil
            accounts[order.maker]?.reservedTokens[id] = nil
            canceled.append(id)
            publish(.order(owner: order.owner, wsOrder(order, type: "CANCELLATION")))
            announceBookChanges(order.conditionID, before: before)
        }
        return PolyCancelResponse(canceled: canceled, notCanceled: notCanceled)
    }

    public func cancelAll(owner: String, market: String? = nil, assetID: String? = nil) -> PolyCancelResponse {
        let ids = orderSequence.filter { id in
            guard let order = orders[id] else { return false }
            return belongs(order.owner, to: owner) && (order.status == "LIVE" || order.status == "DELAYED") && (market == nil || order.conditionID == market)
                && (assetID == nil || order.token == assetID)
        }
        return cancel(ids, owner: owner)
    }

    // MARK: Resolution

    /// Resolves a market: the winning token pays $1 per share to every holder (the rest is worthless),
    /// open orders are cancelled and the market closes.
    public func resolve(condition: String, winner: OutcomeSide) {
        guard var spec = specs[condition] else { return }
        for owner in Set(orders.values.filter { $0.conditionID == condition }.map(\.owner)) { _ = cancelAll(owner: owner, market: condition) }
        spec.closed = true
        spec.active = false
        spec.winner = winner
        specs[condition] = spec
        let winning = spec.token(winner), losing = spec.token(winner.opposite)
        for address in accounts.keys {
            guard var account = accounts[address] else { continue }
            account.collateral += (account.tokens[winning] ?? 0)
            account.tokens[winning] = nil
            account.tokens[losing] = nil
            accounts[address] = account
        }
    }
}

extension String {
    /// "0.50" → "0.5", "10.00" → "10".
    var trimmedDecimalText: String {
        guard utf8.contains(UInt8(ascii: ".")) else { return self }  // stdlib: Foundation's contains bridges to CFString (a crash seen there, 2026-12-04)
        var text = self
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

// MARK: Gamma (market discovery)

extension PolySimExchange {
    /// Markets as Gamma lists them (`GET /markets`): `outcomes` and `clobTokenIds` JSON arrays inside
    /// strings, `outcomePrices` once resolved; filtered like Gamma's query parameters.
    public func gammaMarkets(slugs: [String] = [], conditionIDs: [String] = [], tokenIDs: [String] = [], active: Bool? = nil, closed: Bool? = nil,
                             limit: Int = 100, offset: Int = 0) -> [GammaMarket] {
        let listed = markets.enumerated().map { index, spec in Self.gamma(spec, id: index + 1) }
        let filtered = listed.filter { market in
            (slugs.isEmpty || slugs.contains(market.slug)) && (conditionIDs.isEmpty || conditionIDs.contains(market.conditionId))
                && (tokenIDs.isEmpty || !Set(tokenIDs).isDisjoint(with: market.tokensByOutcome?.values.map { $0 } ?? []))
                && (active == nil || market.active == active) && (closed == nil || market.closed == closed)
        }
        return Array(filtered.dropFirst(max(0, offset)).prefix(max(0, min(limit, 500))))
    }

    static func gamma(_ spec: PolySimMarketSpec, id: Int) -> GammaMarket {
        let prices = spec.winner.map { $0 == .yes ? #"["1", "0"]"# : #"["0", "1"]"# }
        return GammaMarket(id: String(id), question: spec.question, conditionId: spec.conditionID, slug: spec.slug, outcomes: #"["Yes", "No"]"#,
                           clobTokenIds: "[\"\(spec.yesToken)\", \"\(spec.noToken)\"]", active: spec.active, closed: spec.closed,
                           enableOrderBook: true, negRisk: spec.negRisk, orderPriceMinTickSize: Double(spec.tick.micros) / 1_000_000,
                           orderMinSize: Double(spec.minimumSize.micros) / 1_000_000, endDate: "2026-01-11T23:59:00Z",
                           umaResolutionStatus: spec.winner == nil ? nil : "resolved", outcomePrices: prices)
    }
}
