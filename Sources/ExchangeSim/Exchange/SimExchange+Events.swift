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
    /// A market's book after a change.
    case book(ticker: String, OrderBook)
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

    func publishBook(_ ticker: String) {
        guard !listeners.isEmpty, let market = markets[ticker] else { return }
        publish(.book(ticker: ticker, market.book.orderBook))
    }
}
