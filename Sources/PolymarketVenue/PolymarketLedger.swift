import Execution
import Foundation
import Markets
import PolymarketClient
import PolymarketWire

/// Polymarket's side of start-up reconciliation: orders of earlier runs found by their id (the EIP-712
/// hash, recomputed from the journal when the venue's id was never journaled), fills from final trades
/// only, positions from token balances.
extension PolymarketExecutor: VenueLedger {
    /// How far from the journaled creation time an order's (whole-second) timestamp is searched.
    static var timestampSearch: ClosedRange<Int64> { -5...65 }

    /// The ids the order could have had: signed at each whole second around its journaled creation.
    func candidateIDs(for row: JournalOrder, info: PolyTokenInfo) -> Set<String> {
        let request = ExecutionRequest(clientOrderID: row.clientOrderID, platform: .polymarket, ticker: row.ticker, fees: info.fees, action: row.action,
                                       side: row.side, limit: row.limitPrice, count: row.requested, timeInForce: .immediateOrCancel, grid: info.grid)
        let created = row.createdNanoseconds / 1_000_000_000
        var ids = Set<String>()
        for offset in Self.timestampSearch {
            if let (order, _) = try? signed(request, info: info, seconds: created + offset) { ids.insert(order.orderID) }
        }
        return ids
    }

    public func venueOrder(for row: JournalOrder) async throws -> VenueOrderRecord? {
        let info: PolyTokenInfo
        info = try await directory.info(row.ticker)
        let token = Self.venueTerms(ExecutionRequest(clientOrderID: row.clientOrderID, platform: .polymarket, ticker: row.ticker, fees: info.fees,
                                                     action: row.action, side: row.side, limit: row.limitPrice, count: row.requested,
                                                     timeInForce: .immediateOrCancel, grid: info.grid), info).token
        let ids: Set<String> = row.venueOrderID.map { [$0] } ?? candidateIDs(for: row, info: info)
        let trades = try await client.trades(market: info.conditionID)
        var listed: PolyOpenOrder?
        if let id = row.venueOrderID {
            listed = try await client.order(id)
        } else {
            listed = try await client.openOrders(assetID: token).first { ids.contains($0.id) }
        }
        let orderID = listed?.id ?? trades.lazy.flatMap { [$0.takerOrderID] + $0.makerOrders.map(\.orderID) }.first { ids.contains($0) }
        guard let orderID else { return nil }
        let mine = trades.filter { Self.involves($0, orderID) }
        var fills: [ExecutionFill] = []
        var pending = false
        for trade in mine {
            switch Self.plain(trade.status) {
            case "CONFIRMED": fills += Self.fills(of: trade, orderID: orderID, token: token, requested: row.requested, rest: true)
            case "FAILED": continue
            default: pending = true
            }
        }
        let filled = fills.reduce(Contracts.zero) { $0.addingSaturated($1.count) }
        let status: VenueOrderStatus
        if pending {
            status = .pending  // a matched trade not final yet: asked again later
        } else if let listed {
            switch Self.plain(listed.status) {
            case "LIVE": status = .resting
            case "DELAYED": status = .pending
            case "MATCHED": status = filled >= row.requested ? .executed : .canceled
            default: status = .canceled
            }
        } else {
            // Unlisted but traded: an immediate order the venue finished (the rest was killed).
            status = filled >= row.requested ? .executed : .canceled
        }
        return VenueOrderRecord(venueOrderID: orderID, status: status, filled: filled, fills: fills)
    }

    /// Open orders of other API keys on this account (placed by hand in the venue's interface): this
    /// key's own orders are all journaled before they are sent, so they are reconciled, not imported.
    public func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder] {
        guard let ours = client.transport.apiCredentials?.apiKey else { return [] }
        var listed: [VenueListedOrder] = []
        for venue in try await client.openOrders() where venue.owner != ours {
            let clientOrderID = "venue-" + venue.id
            guard !isKnown(clientOrderID), let info = try? await directory.info(venue.assetID), let side = info.outcome(of: venue.assetID),
                  let priceMicros = PolyDecimal.micros(venue.price), let price = Price(micros: priceMicros),
                  let size = Self.orderSize(venue.originalSize),
                  let matched = Self.shares(venue.sizeMatched, order: size, rest: true) else { continue }
            // Buying a token is holding its outcome; a sell of it is read as buying the other outcome at 1 − p.
            let isBuy = venue.side.uppercased() == "BUY"
            listed.append(VenueListedOrder(clientOrderID: clientOrderID, platform: .polymarket, ticker: info.yesToken, side: isBuy ? side : side.opposite,
                                           limit: isBuy ? price : price.complement, initial: size,
                                           record: VenueOrderRecord(venueOrderID: venue.id, status: .resting, filled: matched, fills: [])))
        }
        return listed
    }

    /// An order's size from the REST API: base units when it has no decimal point and is a whole number
    /// of hundredths in base units (the OpenAPI's form), else decimal shares.
    static func orderSize(_ text: String) -> Contracts? {
        if !text.utf8.contains(UInt8(ascii: ".")), let base = Int64(text), base >= 10_000, base % 10_000 == 0 { return Contracts(hundredths: base / 10_000) }
        return PolyDecimal.micros(text).map { Contracts(hundredths: $0 / 10_000) }
    }

    public func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws {
        _ = try await client.cancel(orderID: venueOrderID)
    }

    public nonisolated var positionPlatforms: Set<Platform> { [.polymarket] }

    /// Positions of the markets this run knows (journaled, listed or traded): YES shares − NO shares,
    /// under the market's YES token, floored to hundredths.
    public func venuePositions() async throws -> [String: Contracts]? {
        var positions: [String: Contracts] = [:]
        for info in await directory.known {
            let yes = try await client.tokenBalance(info.yesToken, signatureType: builder.signatureType)
            let no = try await client.tokenBalance(info.noToken, signatureType: builder.signatureType)
            let net = Contracts(hundredths: yes / 10_000).addingSaturated(Contracts(hundredths: no / 10_000).negated)
            if net != .zero { positions[info.yesToken] = net }
        }
        return positions
    }
}
