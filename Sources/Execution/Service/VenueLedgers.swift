import KalshiWire
import Markets
import TradingClient

extension KalshiExecutor: VenueLedger {
    public func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord? {
        let venue: KalshiOrder?
        if let id = order.venueOrderID {
            venue = try await client.order(id)
        } else {
            venue = try await client.order(clientOrderID: order.clientOrderID, ticker: order.ticker)
        }
        guard let venue else { return nil }
        let fills = try await client.fills(orderID: venue.orderID).collect().compactMap { fill -> ExecutionFill? in
            guard let yes = Price(fill.yesPriceDollars) else { return nil }
            return ExecutionFill(fillID: fill.fillID, count: fill.countFP, price: order.side == .yes ? yes : yes.complement, fee: fill.feeCost,
                                 role: fill.isTaker ? .taker : .maker, timestampNanoseconds: (fill.ts ?? 0) * 1_000_000_000)
        }
        return VenueOrderRecord(venueOrderID: venue.orderID, status: venue.status, filled: venue.fillCountFP, fills: fills)
    }

    public func cancelStale(venueOrderID: String, ticker: String) async throws {
        _ = try await client.cancelOrder(venueOrderID, marketTicker: ticker)
    }

    public func venuePositions() async throws -> [String: Contracts]? {
        var byTicker: [String: Contracts] = [:]
        for position in try await client.positions().collect() where position.positionFP != .zero {
            byTicker[position.ticker] = position.positionFP
        }
        return byTicker
    }
}

extension PaperExecutor: VenueLedger {
    /// Paper orders live in this process only: one the journal saw sent did not survive the restart
    /// (cancelled, with the fills the journal already holds); one never sent is unknown.
    public func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord? {
        guard order.state != .pending else { return nil }
        return VenueOrderRecord(venueOrderID: order.venueOrderID ?? "paper-" + order.clientOrderID, status: .canceled, filled: order.filled, fills: [])
    }

    public func cancelStale(venueOrderID: String, ticker: String) async throws {}

    /// The journal is the paper account's record.
    public func venuePositions() async throws -> [String: Contracts]? { nil }
}
