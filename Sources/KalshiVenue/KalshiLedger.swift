import Foundation
import KalshiWire
import Execution
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
        return try await record(venue, side: order.side)
    }

    /// The order with its fills. One the venue counts nothing filled of has none to read (a start-up after a
    /// crash with many orders resting spends 10 read tokens less on each, twice: before and after its cancel).
    private func record(_ venue: KalshiOrder, side: OutcomeSide) async throws -> VenueOrderRecord {
        let listed = venue.fillCountFP.isPositive ? try await client.fills(orderID: venue.orderID).collect() : []
        let fills = listed.compactMap { fill in
            ExecutionFill(venueFillID: fill.fillID, count: fill.countFP, yesPrice: fill.yesPriceDollars, fee: fill.feeCost, isTaker: fill.isTaker,
                          side: side, timestampNanoseconds: (fill.ts ?? 0) * 1_000_000_000)
        }
        return VenueOrderRecord(venueOrderID: venue.orderID, status: Self.status(venue.status), filled: venue.fillCountFP, fills: fills)
    }

    /// Kalshi's order statuses in the core's words.
    static func status(_ status: KalshiOrderStatus) -> VenueOrderStatus {
        switch status {
        case .resting: .resting
        case .canceled: .canceled
        case .executed: .executed
        case .unknown: .pending  // not a status the core can act on: keep asking
        }
    }

    public func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder] {
        var filter = OrderFilter()
        filter.minTs = Int64(Date().timeIntervalSince1970) - 86_400
        var seen = Set<String>()
        var listed: [VenueListedOrder] = []
        let recent = try await client.orders(filter).collect()
        let resting = try await client.orders(OrderFilter(status: .resting)).collect()
        for venue in recent + resting where seen.insert(venue.orderID).inserted {
            // A bid adds YES (read as buy YES @ p), an ask adds NO (read as buy NO @ 1 − p).
            let side: OutcomeSide = venue.bookSide == .bid ? .yes : .no
            guard let yes = Price(venue.yesPriceDollars) else { continue }
            let clientOrderID = venue.clientOrderID.isEmpty ? "venue-" + venue.orderID : venue.clientOrderID
            guard !isKnown(clientOrderID) else { continue }
            listed.append(VenueListedOrder(clientOrderID: clientOrderID, ticker: venue.ticker, side: side, limit: yes.of(side),
                                           initial: venue.initialCountFP, record: try await record(venue, side: side)))
        }
        return listed
    }

    public func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws {
        _ = try await client.cancelOrder(venueOrderID, marketTicker: order.ticker)
    }

    public nonisolated var positionPlatforms: Set<Platform> { [.kalshi] }

    public func venuePositions() async throws -> [String: Contracts]? {
        var byTicker: [String: Contracts] = [:]
        for position in try await client.positions().collect() where position.positionFP != .zero {
            byTicker[position.ticker] = position.positionFP
        }
        return byTicker
    }
}

