import Foundation
import KalshiWire
import Markets

/// One market's live state in the simulator.
struct SimMarket: Sendable {
    var spec: SimMarketSpec
    var book: MatchingBook
    /// Public trades, oldest first.
    var trades: [KalshiTrade] = []
    var volume: Contracts = .zero
    var lastPrice: Price?
    /// `yes` or `no` once determined.
    var result: String?
}

/// The simulated exchange: markets with matching books, accounts, orders and fills. All state lives in
/// this actor; the HTTP and WebSocket layers only translate.
public actor SimExchange {
    public struct Configuration: Sendable {
        public var markets: [SimMarketSpec] = SimCatalog.standard()
        /// Cash every new account starts with.
        public var startingBalance = Dollars(micros: 100_000 * 1_000_000)
        /// Unix milliseconds (injectable).
        public var now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000) }
        public init() {}
    }

    let configuration: Configuration
    var markets: [String: SimMarket] = [:]
    /// Tickers in listing order.
    let tickers: [String]
    var accounts: [String: SimAccount] = [:]
    var orders: [String: SimOrderRecord] = [:]
    /// Resting orders that have an expiration time (the only ones `expireOrders` looks at).
    private var expiring: Set<String> = []
    /// Fills per account, oldest first, with when they were made (ms).
    var fills: [String: [(fill: KalshiFill, ms: Int64)]] = [:]
    private var orderSequence: UInt64 = 0
    private var tradeSequence: UInt64 = 0
    /// Observers of executions and book changes (the WebSocket side).
    var listeners: [UUID: @Sendable (SimEvent) -> Void] = [:]
    /// Incremented on every book change.
    var bookVersion: UInt64 = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        for spec in configuration.markets {
            markets[spec.ticker] = SimMarket(spec: spec, book: MatchingBook(ticker: spec.ticker))
        }
        tickers = configuration.markets.map(\.ticker)
    }

    var nowMs: Int64 { configuration.now() }

    /// Opens an account (idempotent), funded with the starting balance.
    public func openAccount(_ id: String, balance: Dollars? = nil) {
        if accounts[id] == nil { accounts[id] = SimAccount(id: id, balance: balance ?? configuration.startingBalance) }
    }

    func account(_ id: String) -> SimAccount {
        if let account = accounts[id] { return account }
        let account = SimAccount(id: id, balance: configuration.startingBalance)
        accounts[id] = account
        return account
    }

    private func nextOrderID() -> String {
        orderSequence += 1
        return "ord-\(String(orderSequence, radix: 10))"
    }

    // MARK: - Order entry

    /// `POST /portfolio/events/orders`.
    public func createOrder(account accountID: String, _ request: CreateOrderV2Request) -> Result<CreateOrderV2Response, SimError> {
        expireOrders()
        guard var market = markets[request.ticker] else { return .failure(SimError(404, "market_not_found", "market \(request.ticker) not found")) }
        guard market.spec.status == "active" else {
            return .failure(SimError(400, "MARKET_INACTIVE", "market is not open for trading", details: request.ticker))
        }
        guard request.count.isPositive else { return .failure(SimError(400, "invalid_order_size", "count must be positive")) }
        guard market.spec.grid.contains(request.price) else {
            return .failure(.invalid("price \(request.price.wireString) is not a valid price for this market"))
        }
        if request.expirationTime != nil, request.timeInForce == .immediateOrCancel {
            return .failure(.invalid("Cannot specify both immediate_or_cancel and expiration_ts"))
        }
        if let expiration = request.expirationTime, expiration * 1_000 <= nowMs {
            return .failure(.invalid("Expiration timestamp must be in the future"))
        }
        let clientOrderID = request.clientOrderID ?? UUID().uuidString.lowercased()
        var count = request.count
        // The account read in a scope of its own: the copy is gone before the dictionary's account is
        // changed in place (a live copy made every insert copy the account's whole set of order ids).
        do {
            let account = account(accountID)
            guard !account.clientOrderIDs.contains(clientOrderID) else {
                return .failure(SimError(409, "order_already_exists", "an order with this client_order_id already exists", details: clientOrderID))
            }
            if request.reduceOnly == true {
                let held = account.positions[request.ticker]?.contracts.hundredths ?? 0
                let reducible = request.side == .bid ? max(-held, 0) : max(held, 0)
                count = Contracts(hundredths: min(count.hundredths, reducible))
            }
            let rate = KalshiFees.rate(seriesTicker: market.spec.seriesTicker, role: .taker)
            let required = account.collateral(ticker: request.ticker, side: request.side, price: request.price, count: count).micros
                + KalshiFees.estimate(rate: rate, count: count, price: request.price).micros
            guard required <= account.available.micros else {
                return .failure(SimError(400, "available_balance_too_low", "insufficient available balance",
                                         details: "required=\(Dollars(micros: required).wireString) available=\(account.available.wireString)"))
            }
        }
        accounts[accountID]?.clientOrderIDs.insert(clientOrderID)

        let now = nowMs
        let orderID = nextOrderID()
        var record = SimOrderRecord(
            orderID: orderID, account: accountID, clientOrderID: clientOrderID, ticker: request.ticker, side: request.side,
            price: request.price, initial: count, remaining: count, status: .resting, createdMs: now, updatedMs: now,
            timeInForce: request.timeInForce, expirationTime: request.expirationTime)
        guard count.isPositive else {  // reduce-only with nothing to reduce
            record.status = .canceled
            record.remaining = .zero
            orders[orderID] = record
            return .success(CreateOrderV2Response(orderID: orderID, clientOrderID: clientOrderID, fillCount: .zero,
                                                  remainingCount: .zero, averageFillPrice: nil, averageFeePaid: nil, tsMs: now))
        }
        let incoming = SimOrder(orderID: orderID, account: accountID, side: request.side, price: request.price, remaining: count,
                                sequence: orderSequence)
        let outcome = market.book.submit(incoming, MatchInstructions(
            timeInForce: request.timeInForce, postOnly: request.postOnly ?? false, selfTradePrevention: request.selfTradePreventionType))
        if outcome.postOnlyCross {
            accounts[accountID]?.clientOrderIDs.remove(clientOrderID)
            return .failure(SimError(400, "invalid_order", "invalid order", details: "post only cross"))
        }
        markets[request.ticker] = market
        orders[orderID] = record
        settle(outcome, ticker: request.ticker)

        record = orders[orderID] ?? record
        record.remaining = outcome.rested
        record.status = outcome.rested.isPositive ? .resting : (record.filled == record.initial ? .executed : .canceled)
        record.updatedMs = now
        orders[orderID] = record
        if outcome.rested.isPositive {
            reserve(orderID)
            if record.expirationTime != nil { expiring.insert(orderID) }
        }
        // Only a book that changed is sent (an IOC that neither traded nor rested leaves it as it was).
        if !outcome.trades.isEmpty || outcome.rested.isPositive || !outcome.selfTradeCanceled.isEmpty { publishBook(request.ticker) }
        publish(.order(record.wire))

        let filled = outcome.filled
        var average: Dollars?
        var averageFee: Dollars?
        if filled.isPositive {
            let notional = outcome.trades.reduce(Int128(0)) { $0 + Int128($1.price.micros) * Int128($1.count.hundredths) }
            average = Dollars(micros: Int64(notional / Int128(filled.hundredths)))
            averageFee = Dollars(micros: record.takerFees.micros * 100 / filled.hundredths)
        }
        return .success(CreateOrderV2Response(orderID: orderID, clientOrderID: clientOrderID, fillCount: filled,
                                              remainingCount: outcome.rested, averageFillPrice: average, averageFeePaid: averageFee, tsMs: now))
    }

    /// Books the trades of one match: fees, cash, positions, order records, fills, the public tape.
    private func settle(_ outcome: MatchOutcome, ticker: String) {
        guard var market = markets[ticker] else { return }
        let now = nowMs
        let takerRate = KalshiFees.rate(seriesTicker: market.spec.seriesTicker, role: .taker)
        for trade in outcome.trades {
            tradeSequence += 1
            let tradeID = "trd-\(tradeSequence)"
            let takerFee = KalshiFees.estimate(rate: takerRate, count: trade.count, price: trade.price)
            let makerSide: BookSide = trade.takerSide == .bid ? .ask : .bid
            accounts[trade.takerAccount, default: SimAccount(id: trade.takerAccount, balance: configuration.startingBalance)]
                .applyFill(ticker: ticker, side: trade.takerSide, price: trade.price, count: trade.count, fee: takerFee, nowMs: now)
            accounts[trade.makerAccount, default: SimAccount(id: trade.makerAccount, balance: configuration.startingBalance)]
                .applyFill(ticker: ticker, side: makerSide, price: trade.price, count: trade.count, fee: .zero, nowMs: now)
            let cost = (try? (trade.takerSide == .bid ? trade.price : trade.price.complement).notional(trade.count)) ?? .zero
            let makerCost = (try? (makerSide == .bid ? trade.price : trade.price.complement).notional(trade.count)) ?? .zero
            update(trade.takerOrderID, filled: trade.count, fee: takerFee, cost: cost, taker: true, now: now)
            update(trade.makerOrderID, filled: trade.count, fee: .zero, cost: makerCost, taker: false, now: now)

            let takerFill = KalshiFill(fillID: tradeID + "-t", orderID: trade.takerOrderID, ticker: ticker, bookSide: trade.takerSide,
                                       count: trade.count, yesPrice: trade.price, isTaker: true, feeCost: takerFee,
                                       createdTime: SimTime.rfc3339(milliseconds: now), ts: now / 1_000)
            let makerFill = KalshiFill(fillID: tradeID + "-m", orderID: trade.makerOrderID, ticker: ticker, bookSide: makerSide,
                                       count: trade.count, yesPrice: trade.price, isTaker: false, feeCost: .zero,
                                       createdTime: SimTime.rfc3339(milliseconds: now), ts: now / 1_000)
            fills[trade.takerAccount, default: []].append((takerFill, now))
            fills[trade.makerAccount, default: []].append((makerFill, now))
            var publicTrade = KalshiTrade(tradeID: tradeID, ticker: ticker, count: trade.count, yesPrice: trade.price,
                                          takerBookSide: trade.takerSide, createdTime: SimTime.rfc3339(milliseconds: now))
            publicTrade.isBlockTrade = false
            market.trades.append(publicTrade)
            market.volume = Contracts(hundredths: market.volume.hundredths + trade.count.hundredths)
            market.lastPrice = trade.price
            publish(.fill(account: trade.takerAccount, takerFill))
            publish(.fill(account: trade.makerAccount, makerFill))
            publish(.trade(publicTrade))
            if let maker = orders[trade.makerOrderID] { publish(.order(maker.wire)) }
        }
        markets[ticker]?.trades = market.trades
        markets[ticker]?.volume = market.volume
        markets[ticker]?.lastPrice = market.lastPrice
        for removed in outcome.selfTradeCanceled {
            finish(removed.orderID, status: .canceled)
        }
    }

    private func update(_ orderID: String, filled count: Contracts, fee: Dollars, cost: Dollars, taker: Bool, now: Int64) {
        guard var record = orders[orderID] else { return }
        record.filled = Contracts(hundredths: record.filled.hundredths + count.hundredths)
        if taker {
            record.takerFees = Dollars(micros: record.takerFees.micros + fee.micros)
            record.takerFillCost = Dollars(micros: record.takerFillCost.micros + cost.micros)
        } else {
            record.makerFees = Dollars(micros: record.makerFees.micros + fee.micros)
            record.makerFillCost = Dollars(micros: record.makerFillCost.micros + cost.micros)
            record.remaining = Contracts(hundredths: max(0, record.remaining.hundredths - count.hundredths))
            if !record.remaining.isPositive { record.status = .executed }
        }
        record.updatedMs = now
        orders[orderID] = record
        if !taker {
            if record.remaining.isPositive { reserve(orderID) } else { accounts[record.account]?.reserved[orderID] = nil }
        }
    }

    /// Holds collateral for a resting order's remaining size.
    private func reserve(_ orderID: String) {
        guard let record = orders[orderID], var account = accounts[record.account] else { return }
        account.reserved[orderID] = nil
        account.reserved[orderID] = account.collateral(ticker: record.ticker, side: record.side, price: record.price, count: record.remaining)
        accounts[record.account] = account
    }

    /// Marks an order finished and releases its collateral.
    private func finish(_ orderID: String, status: KalshiOrderStatus) {
        guard var record = orders[orderID] else { return }
        record.status = status
        record.remaining = .zero
        record.updatedMs = nowMs
        orders[orderID] = record
        accounts[record.account]?.reserved[orderID] = nil
        publish(.order(record.wire))
    }

    /// `DELETE /portfolio/events/orders/{id}`.
    public func cancelOrder(account accountID: String, orderID: String) -> Result<CancelOrderV2Response, SimError> {
        expireOrders()
        guard let record = orders[orderID], record.account == accountID else { return .failure(.notFound("order \(orderID)")) }
        guard record.status == .resting, markets[record.ticker]?.book.cancel(orderID: orderID) != nil else {
            return .failure(SimError(400, "invalid_order", "order is not resting", details: "status=\(record.status.rawValue)"))
        }
        let reduced = record.remaining
        finish(orderID, status: .canceled)
        publishBook(record.ticker)
        return .success(CancelOrderV2Response(orderID: orderID, clientOrderID: record.clientOrderID, reducedBy: reduced, tsMs: nowMs))
    }

    /// `DELETE /portfolio/events/orders`: cancels every resting order of the account.
    public func cancelAll(account accountID: String) -> Int {
        let resting = orders.values.filter { $0.account == accountID && $0.status == .resting }.map(\.orderID).sorted()
        for orderID in resting { _ = cancelOrder(account: accountID, orderID: orderID) }
        return resting.count
    }

    /// `POST .../decrease`.
    public func decrease(account accountID: String, orderID: String, _ request: DecreaseOrderV2Request) -> Result<DecreaseOrderV2Response, SimError> {
        guard let record = orders[orderID], record.account == accountID else { return .failure(.notFound("order \(orderID)")) }
        guard record.status == .resting else { return .failure(.invalid("order is not resting")) }
        let target: Int64
        switch (request.reduceBy, request.reduceTo) {
        case let (by?, nil): target = record.remaining.hundredths - by.hundredths
        case let (nil, to?): target = to.hundredths
        default: return .failure(.badRequest("exactly one of reduce_by, reduce_to"))
        }
        guard target >= 0, target < record.remaining.hundredths else { return .failure(.badRequest("decrease must reduce the order")) }
        if target == 0 { return cancelOrder(account: accountID, orderID: orderID).map { _ in
            DecreaseOrderV2Response(orderID: orderID, clientOrderID: record.clientOrderID, remainingCount: .zero, tsMs: nowMs) } }
        guard var market = markets[record.ticker], var resting = market.book.cancel(orderID: orderID) else { return .failure(.invalid("order is not resting")) }
        resting.remaining = Contracts(hundredths: target)
        // A size decrease keeps queue priority: re-rest with the original sequence.
        _ = market.book.submit(resting, MatchInstructions(timeInForce: .goodTillCanceled))
        markets[record.ticker] = market
        orders[orderID]?.remaining = resting.remaining
        orders[orderID]?.updatedMs = nowMs
        reserve(orderID)
        publishBook(record.ticker)
        return .success(DecreaseOrderV2Response(orderID: orderID, clientOrderID: record.clientOrderID, remainingCount: resting.remaining, tsMs: nowMs))
    }

    /// `POST .../amend`: new price and/or total count (filled + remaining). Goes to the back of the queue.
    public func amend(account accountID: String, orderID: String, _ request: AmendOrderV2Request) -> Result<AmendOrderV2Response, SimError> {
        guard let record = orders[orderID], record.account == accountID else { return .failure(.notFound("order \(orderID)")) }
        guard record.status == .resting else { return .failure(.invalid("order is not resting")) }
        guard request.ticker == record.ticker else { return .failure(SimError(400, "order_ticker_mismatch", "ticker does not match the order")) }
        guard request.side == record.side else { return .failure(SimError(400, "order_side_mismatch", "side does not match the order")) }
        guard let market = markets[record.ticker], market.spec.grid.contains(request.price) else { return .failure(.invalid("price not on grid")) }
        let newRemaining = request.count.hundredths - record.filled.hundredths
        guard newRemaining > 0 else { return .failure(SimError(400, "invalid_order_size", "count must exceed the filled count")) }
        _ = markets[record.ticker]?.book.cancel(orderID: orderID)
        accounts[accountID]?.reserved[orderID] = nil
        orderSequence += 1
        let replacement = SimOrder(orderID: orderID, account: accountID, side: record.side, price: request.price,
                                   remaining: Contracts(hundredths: newRemaining), sequence: orderSequence)
        var updated = record
        updated.price = request.price
        updated.initial = request.count
        orders[orderID] = updated
        guard var book = markets[record.ticker]?.book else { return .failure(.notFound("market")) }
        let outcome = book.submit(replacement, MatchInstructions(timeInForce: .goodTillCanceled))
        markets[record.ticker]?.book = book
        settle(outcome, ticker: record.ticker)
        orders[orderID]?.remaining = outcome.rested
        orders[orderID]?.status = outcome.rested.isPositive ? .resting : .executed
        if outcome.rested.isPositive { reserve(orderID) }
        publishBook(record.ticker)
        let final = orders[orderID]
        return .success(AmendOrderV2Response(orderID: orderID, clientOrderID: request.updatedClientOrderID ?? record.clientOrderID,
                                             remainingCount: final?.remaining, fillCount: final?.filled, tsMs: nowMs))
    }

    /// Cancels resting orders past their expiration. Only orders that rested with one are looked at (a
    /// scan of every order ever placed, on every request, made the simulator slower with each order).
    func expireOrders() {
        guard !expiring.isEmpty else { return }
        let nowSeconds = nowMs / 1_000
        for orderID in expiring.sorted() {
            guard let record = orders[orderID], record.status == .resting, let expiration = record.expirationTime else {
                expiring.remove(orderID)
                continue
            }
            if expiration <= nowSeconds {
                expiring.remove(orderID)
                _ = markets[record.ticker]?.book.cancel(orderID: record.orderID)
                finish(record.orderID, status: .canceled)
                publishBook(record.ticker)
            }
        }
    }

    /// Changes a market's status (tests and lifecycle simulation).
    public func setStatus(_ ticker: String, _ status: String) {
        markets[ticker]?.spec.status = status
    }
}
