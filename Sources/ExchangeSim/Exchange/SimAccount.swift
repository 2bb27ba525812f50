import KalshiWire
import Markets

/// One market position of a simulated account: signed contracts (+ YES, − NO) and their cost basis.
struct SimPosition: Sendable {
    var contracts: Contracts = .zero
    /// Total paid for the open contracts.
    var costBasis: Dollars = .zero
    var realizedPnl: Dollars = .zero
    var feesPaid: Dollars = .zero
    var totalTraded: Dollars = .zero
    var lastUpdatedMs: Int64 = 0
}

/// A simulated Kalshi account: cash, collateral reserved by resting orders, positions, orders, fills.
struct SimAccount: Sendable {
    let id: String
    var balance: Dollars
    /// Collateral held by resting orders, by order id.
    var reserved: [String: Dollars] = [:]
    var positions: [String: SimPosition] = [:]
    /// Client order ids ever used (duplicates are refused with 409).
    var clientOrderIDs: Set<String> = []

    var available: Dollars {
        Dollars(micros: balance.micros - reserved.values.reduce(0) { $0 + $1.micros })
    }

    /// Applies one execution: `side` bid buys YES at `price`, ask buys NO at 1 − price (or sells the
    /// opposite holding first). Closing a pair returns $1 per contract. Exact to the micro-dollar.
    mutating func applyFill(ticker: String, side: BookSide, price: Price, count: Contracts, fee: Dollars, nowMs: Int64) {
        var position = positions[ticker] ?? SimPosition()
        let held = position.contracts.hundredths
        let c = count.hundredths
        // The price paid per contract of the outcome bought.
        let paidPrice = side == .bid ? price : price.complement
        // Contracts of the opposite outcome this fill closes.
        let closing = side == .bid ? min(c, max(-held, 0)) : min(c, max(held, 0))
        let opening = c - closing

        let cost = (try? paidPrice.notional(count, rounding: .up)) ?? .zero
        balance = Dollars(micros: balance.micros - cost.micros - fee.micros + closing * 10_000)  // $1 per closed contract

        if closing > 0 {
            let heldMagnitude = held < 0 ? -held : held
            let released = position.costBasis.micros * closing / heldMagnitude
            let closeCost = (try? paidPrice.notional(Contracts(hundredths: closing), rounding: .up))?.micros ?? 0
            let proceeds = closing * 10_000 - closeCost
            position.realizedPnl = Dollars(micros: position.realizedPnl.micros + proceeds - released)
            position.costBasis = Dollars(micros: position.costBasis.micros - released)
        }
        if opening > 0 {
            let openCost = (try? paidPrice.notional(Contracts(hundredths: opening), rounding: .up))?.micros ?? 0
            position.costBasis = Dollars(micros: position.costBasis.micros + openCost)
        }
        position.contracts = Contracts(hundredths: held + (side == .bid ? c : -c))
        position.feesPaid = Dollars(micros: position.feesPaid.micros + fee.micros)
        position.realizedPnl = Dollars(micros: position.realizedPnl.micros - fee.micros)
        position.totalTraded = Dollars(micros: position.totalTraded.micros + cost.micros)
        position.lastUpdatedMs = nowMs
        positions[ticker] = position
    }

    /// Settles the position in `ticker`: $1 per contract of the winning side (`yesWins`) is credited and
    /// the position is removed, as Kalshi does when a market is finalized.
    mutating func settle(ticker: String, yesWins: Bool, nowMs: Int64) {
        guard var position = positions[ticker], position.contracts != .zero else { return }
        let held = position.contracts.hundredths
        let wins = (held > 0) == yesWins
        let payout = wins ? (held < 0 ? -held : held) * 10_000 : 0
        balance = Dollars(micros: balance.micros + payout)
        position.realizedPnl = Dollars(micros: position.realizedPnl.micros + payout - position.costBasis.micros)
        position.costBasis = .zero
        position.contracts = .zero
        position.lastUpdatedMs = nowMs
        positions[ticker] = position
    }

    /// Collateral an order needs for the part that opens a new position at `price` (closing contracts
    /// need none): count × price for a bid, count × (1 − price) for an ask.
    func collateral(ticker: String, side: BookSide, price: Price, count: Contracts) -> Dollars {
        let held = positions[ticker]?.contracts.hundredths ?? 0
        let closing = side == .bid ? min(count.hundredths, max(-held, 0)) : min(count.hundredths, max(held, 0))
        let opening = Contracts(hundredths: count.hundredths - closing)
        let paidPrice = side == .bid ? price : price.complement
        return (try? paidPrice.notional(opening, rounding: .up)) ?? Dollars(micros: .max)
    }
}

/// An order as the simulator remembers it (resting or finished).
struct SimOrderRecord: Sendable {
    let orderID: String
    let account: String
    let clientOrderID: String
    let ticker: String
    let side: BookSide
    var price: Price
    var initial: Contracts
    var filled: Contracts = .zero
    var remaining: Contracts
    var status: KalshiOrderStatus
    var takerFees: Dollars = .zero
    var makerFees: Dollars = .zero
    var takerFillCost: Dollars = .zero
    var makerFillCost: Dollars = .zero
    let createdMs: Int64
    var updatedMs: Int64
    let timeInForce: TimeInForce
    let expirationTime: Int64?

    var wire: KalshiOrder {
        KalshiOrder(orderID: orderID, userID: account, clientOrderID: clientOrderID, ticker: ticker, bookSide: side, status: status,
                    yesPrice: price, initialCount: initial, fillCount: filled, remainingCount: remaining, takerFees: takerFees,
                    makerFees: makerFees, takerFillCost: takerFillCost, makerFillCost: makerFillCost,
                    createdTime: SimTime.rfc3339(milliseconds: createdMs), lastUpdateTime: SimTime.rfc3339(milliseconds: updatedMs))
    }
}

/// Time formatting shared by the simulator's responses.
enum SimTime {
    static func rfc3339(milliseconds: Int64) -> String {
        let seconds = milliseconds / 1_000
        let millis = milliseconds % 1_000
        var days = seconds / 86_400
        var rest = seconds % 86_400
        if rest < 0 { rest += 86_400; days -= 1 }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3_600, 2)):\(pad(rest % 3_600 / 60, 2)):\(pad(rest % 60, 2)).\(pad(millis, 3))Z"
    }
}
