import Foundation
import KalshiWire
import Markets

/// What the exchange tells its observers (the WebSocket side, tests, the synthetic activity).
public enum SimEvent: Sendable {
    /// A fill of `account`'s order.
    case fill(account: String, KalshiFill)
    /// An order changed (placed, filled, cancelled).
    case order(KalshiOrder)
    /// A public trade.
    case trade(KalshiTrade)
    /// A market's book after a change, with a version that increases with every change of any book.
    case book(ticker: String, OrderBook, version: UInt64)
    /// A market lifecycle event (`market_lifecycle_v2`).
    case lifecycle(WSMarketLifecycle)
}

extension SimExchange {
    /// Registers an observer; returns a token for `removeListener`.
    public func addListener(_ listener: @escaping @Sendable (SimEvent) -> Void) -> UUID {
        let id = UUID()
        listeners[id] = listener
        return id
    }

    public func removeListener(_ id: UUID) { listeners[id] = nil }

    func publish(_ event: SimEvent) {
        for listener in listeners.values { listener(event) }
    }

    /// A market's current position for an account, as the `market_positions` channel reports it.
    public func position(account: String, ticker: String) -> WSMarketPosition {
        let held = accounts[account]?.positions[ticker] ?? SimPosition()
        return WSMarketPosition(marketTicker: ticker, position: held.contracts, cost: held.costBasis,
                                realizedPnl: held.realizedPnl, feesPaid: held.feesPaid)
    }

    /// Replaces a market's price grid (Kalshi's `price_level_structure_updated`). Resting orders stay.
    public func updatePriceGrid(_ ticker: String, grid: PriceGrid, structure: String) {
        guard markets[ticker] != nil else { return }
        markets[ticker]?.spec.grid = grid
        markets[ticker]?.spec.structure = structure
        publish(.lifecycle(WSMarketLifecycle(eventType: "price_level_structure_updated", marketTicker: ticker,
                                             priceLevelStructure: structure, priceRanges: grid.ranges.map(PriceRangeWire.init))))
    }

    /// Moves a market through its lifecycle: `deactivated` (paused), `activated`, `determined` with a
    /// result, or `settled`. Trading stops unless the market is active; resting orders are cancelled on
    /// determination, as on Kalshi after close.
    /// - Parameter publish: `false` changes the market without a `market_lifecycle_v2` message (an event a
    ///   client missed while its connection was down): only REST shows it.
    public func lifecycle(_ ticker: String, event: String, result: String? = nil, publish: Bool = true) {
        guard markets[ticker] != nil else { return }
        switch event {
        case "deactivated": markets[ticker]?.spec.status = "inactive"
        case "activated": markets[ticker]?.spec.status = "active"
        case "determined":
            markets[ticker]?.spec.status = "determined"
            markets[ticker]?.result = result
            for record in orders.values where record.ticker == ticker && record.status == .resting {
                _ = cancelOrder(account: record.account, orderID: record.orderID)
            }
        case "settled":
            markets[ticker]?.spec.status = "finalized"
            if let result { markets[ticker]?.result = result }
            // Positions are paid out and removed (GET /portfolio/positions lists only unsettled ones).
            if let outcome = markets[ticker]?.result, outcome == "yes" || outcome == "no" {
                let now = nowMs
                for id in accounts.keys { accounts[id]?.settle(ticker: ticker, yesWins: outcome == "yes", nowMs: now) }
            }
        default: break
        }
        guard publish else { return }
        self.publish(.lifecycle(WSMarketLifecycle(eventType: event, marketTicker: ticker, result: result,
                                                  isDeactivated: event == "deactivated" ? true : nil)))
    }

    func publishBook(_ ticker: String) {
        bookVersion += 1
        guard !listeners.isEmpty, let market = markets[ticker] else { return }
        publish(.book(ticker: ticker, market.book.orderBook, version: bookVersion))
    }

    /// A market's book and the version it corresponds to (see `SimEvent.book`).
    public func versionedOrderBook(_ ticker: String) -> (book: OrderBook, version: UInt64)? {
        markets[ticker].map { ($0.book.orderBook, bookVersion) }
    }
}
