import KalshiWire
import Markets

/// An order resting on (or entering) the simulator's book.
public struct SimOrder: Hashable, Sendable {
    public let orderID: String
    public let account: String
    public let side: BookSide
    /// YES price.
    public let price: Price
    public internal(set) var remaining: Contracts
    /// Arrival sequence: time priority within a price level.
    public let sequence: UInt64

    public init(orderID: String, account: String, side: BookSide, price: Price, remaining: Contracts, sequence: UInt64) {
        self.orderID = orderID
        self.account = account
        self.side = side
        self.price = price
        self.remaining = remaining
        self.sequence = sequence
    }
}

/// One match between an incoming (taker) order and a resting (maker) order, at the maker's price.
public struct SimTrade: Hashable, Sendable {
    public let takerOrderID: String
    public let takerAccount: String
    public let makerOrderID: String
    public let makerAccount: String
    /// The taker's book side: `bid` means the taker bought YES.
    public let takerSide: BookSide
    /// YES price of the trade (the resting order's price).
    public let price: Price
    public let count: Contracts
}

/// How an incoming order ended.
public struct MatchOutcome: Hashable, Sendable {
    public var trades: [SimTrade] = []
    /// What now rests on the book (GTC only).
    public var rested: Contracts = .zero
    /// What was cancelled: IOC/FOK leftovers, or a taker stopped by self-trade prevention.
    public var canceled: Contracts = .zero
    /// Own resting orders removed by `maker` self-trade prevention, with the size each had left.
    public var selfTradeCanceled: [SimOrder] = []
    /// Refused outright (post-only cross); nothing traded or rested.
    public var postOnlyCross = false

    public var filled: Contracts { Contracts(hundredths: trades.reduce(0) { $0 + $1.count.hundredths }) }
}

/// The parameters of an incoming order that shape matching.
public struct MatchInstructions: Hashable, Sendable {
    public var timeInForce: TimeInForce
    public var postOnly: Bool
    public var selfTradePrevention: SelfTradePreventionType

    public init(timeInForce: TimeInForce, postOnly: Bool = false, selfTradePrevention: SelfTradePreventionType = .takerAtCross) {
        self.timeInForce = timeInForce
        self.postOnly = postOnly
        self.selfTradePrevention = selfTradePrevention
    }
}

/// One market's YES book with price-time priority.
public struct MatchingBook: Sendable {
    public let ticker: String
    /// Resting bids by price ascending (best last); each level is a FIFO queue.
    private var bids: [[SimOrder]] = []
    /// Resting asks by price ascending (best first).
    private var asks: [[SimOrder]] = []

    public init(ticker: String) { self.ticker = ticker }

    /// Matches an incoming order, then rests, cancels or refuses its remainder per `instructions`.
    public mutating func submit(_ order: SimOrder, _ instructions: MatchInstructions) -> MatchOutcome {
        var outcome = MatchOutcome()
        if instructions.postOnly, crosses(order) {
            outcome.postOnlyCross = true
            return outcome
        }
        if instructions.timeInForce == .fillOrKill, fillable(order, stp: instructions.selfTradePrevention) < order.remaining.hundredths {
            outcome.canceled = order.remaining
            return outcome
        }
        var taker = order
        matching: while taker.remaining.isPositive {
            guard let (levelIndex, maker) = bestOpposite(to: taker), taker.side == .bid ? maker.price <= taker.price : maker.price >= taker.price else { break }
            if maker.account == taker.account {
                switch instructions.selfTradePrevention {
                case .takerAtCross:
                    break matching  // the taker's remainder is cancelled below
                case .maker:
                    outcome.selfTradeCanceled.append(maker)
                    removeFront(opposite: taker.side, level: levelIndex)
                    continue
                }
            }
            let count = min(taker.remaining.hundredths, maker.remaining.hundredths)
            outcome.trades.append(SimTrade(
                takerOrderID: taker.orderID, takerAccount: taker.account, makerOrderID: maker.orderID,
                makerAccount: maker.account, takerSide: taker.side, price: maker.price, count: Contracts(hundredths: count)))
            taker.remaining = Contracts(hundredths: taker.remaining.hundredths - count)
            reduceFront(opposite: taker.side, level: levelIndex, by: count)
        }
        guard taker.remaining.isPositive else { return outcome }
        let stoppedBySelfTrade = bestOpposite(to: taker).map { $0.1.account == taker.account && (taker.side == .bid ? $0.1.price <= taker.price : $0.1.price >= taker.price) } ?? false
        if instructions.timeInForce == .goodTillCanceled, !stoppedBySelfTrade {
            rest(taker)
            outcome.rested = taker.remaining
        } else {
            outcome.canceled = taker.remaining
        }
        return outcome
    }

    /// Removes a resting order; returns it with the size it had left.
    @discardableResult
    public mutating func cancel(orderID: String) -> SimOrder? {
        for side in [BookSide.bid, .ask] {
            var levels = side == .bid ? bids : asks
            for (li, level) in levels.enumerated() {
                if let oi = level.firstIndex(where: { $0.orderID == orderID }) {
                    let order = levels[li].remove(at: oi)
                    if levels[li].isEmpty { levels.remove(at: li) }
                    if side == .bid { bids = levels } else { asks = levels }
                    return order
                }
            }
        }
        return nil
    }

    /// A resting order by id.
    public func order(_ orderID: String) -> SimOrder? {
        for level in bids + asks { if let order = level.first(where: { $0.orderID == orderID }) { return order } }
        return nil
    }

    /// All resting orders, bids then asks, each in price-time order.
    public var restingOrders: [SimOrder] { bids.reversed().flatMap { $0 } + asks.flatMap { $0 } }

    /// The book as Kalshi publishes it: YES bids are resting bids; NO bids are resting asks at 1 − price.
    public var orderBook: OrderBook {
        func aggregate(_ levels: [[SimOrder]], complement: Bool) -> [BookLevel] {
            levels.map { level in
                let size = level.reduce(0) { $0 + $1.remaining.hundredths }
                let price = level[0].price
                return BookLevel(price: complement ? price.complement : price, size: Contracts(hundredths: size))
            }
        }
        // Levels are unique and positive by construction.
        return (try? OrderBook(ticker: ticker, yesBids: aggregate(bids, complement: false), noBids: aggregate(asks, complement: true)))
            ?? OrderBook(ticker: ticker)
    }

    // MARK: - Internals

    private func crosses(_ order: SimOrder) -> Bool {
        order.side == .bid ? (asks.first.map { $0[0].price <= order.price } ?? false)
            : (bids.last.map { $0[0].price >= order.price } ?? false)
    }

    /// Contracts the order could fill now, honouring its limit and self-trade prevention.
    private func fillable(_ order: SimOrder, stp: SelfTradePreventionType) -> Int64 {
        let levels: [[SimOrder]] = order.side == .bid ? asks : bids.reversed()
        var total: Int64 = 0
        for level in levels {
            guard order.side == .bid ? level[0].price <= order.price : level[0].price >= order.price else { break }
            for maker in level {
                if maker.account == order.account {
                    if stp == .takerAtCross { return total }
                    continue
                }
                total += maker.remaining.hundredths
                if total >= order.remaining.hundredths { return total }
            }
        }
        return total
    }

    private func bestOpposite(to order: SimOrder) -> (Int, SimOrder)? {
        if order.side == .bid { return asks.first.map { (0, $0[0]) } }
        return bids.last.map { (bids.count - 1, $0[0]) }
    }

    private mutating func removeFront(opposite takerSide: BookSide, level: Int) {
        if takerSide == .bid {
            asks[level].removeFirst()
            if asks[level].isEmpty { asks.remove(at: level) }
        } else {
            bids[level].removeFirst()
            if bids[level].isEmpty { bids.remove(at: level) }
        }
    }

    private mutating func reduceFront(opposite takerSide: BookSide, level: Int, by count: Int64) {
        if takerSide == .bid {
            asks[level][0].remaining = Contracts(hundredths: asks[level][0].remaining.hundredths - count)
            if !asks[level][0].remaining.isPositive { removeFront(opposite: takerSide, level: level) }
        } else {
            bids[level][0].remaining = Contracts(hundredths: bids[level][0].remaining.hundredths - count)
            if !bids[level][0].remaining.isPositive { removeFront(opposite: takerSide, level: level) }
        }
    }

    private mutating func rest(_ order: SimOrder) {
        if order.side == .bid { Self.insert(order, into: &bids) } else { Self.insert(order, into: &asks) }
    }

    private static func insert(_ order: SimOrder, into levels: inout [[SimOrder]]) {
        var low = 0, high = levels.count
        while low < high {
            let mid = (low + high) / 2
            if levels[mid][0].price < order.price { low = mid + 1 } else { high = mid }
        }
        if low < levels.count, levels[low][0].price == order.price { levels[low].append(order) }
        else { levels.insert([order], at: low) }
    }
}
