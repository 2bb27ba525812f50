import Foundation
import Markets
import NIOCore
import NIOWebSocket
import PolymarketWire

/// One-shot faults for the Polymarket simulator's WebSocket sessions.
public enum PolySimWSFault: Sendable, Hashable {
    /// Close the connection at once (no close frame).
    case dropConnection
    /// The next `price_change` is not sent: the client's book silently misses a change.
    case skipPriceChange
    /// The next `price_change` carries a wrong book hash.
    case corruptHash
    /// A frame that is not JSON is sent before the next data message.
    case malformedFrame
    /// Nothing at all (no data, no PONGs) is sent for this long.
    case stall(Duration)
}

public typealias PolySimWSFaults = SimFaultQueue<PolySimWSFault>

/// One connection to `/ws/market` or `/ws/user`: its subscription and the translation of exchange events
/// into the channel's messages (polymarket.md §5). Text `PING` is answered `PONG`.
///
/// The client's messages and the exchange's events reach the session through one queue, handled one at a
/// time: while a subscription waits for its snapshot no event is handled, and an event is sent for a token
/// only when it is newer than the snapshot that token's client holds.
actor PolySimWSSession {
    enum Input: Sendable {
        case text(String)
        case event(PolySimEvent)
    }

    func handle(_ input: Input) async {
        switch input {
        case let .text(text): await handleText(text)
        case let .event(event): handle(event)
        }
    }

    enum Channel: String, Sendable {
        case market, user
    }

    let exchange: PolySimExchange
    let channel: Channel
    let faults: PolySimWSFaults
    private let outbox: AsyncStream<SimWSOutgoing>.Continuation
    private let connection: any NIOCore.Channel
    /// Market channel: subscribed token ids, each with the book version its snapshot reflected.
    private var assets: [String: UInt64] = [:]
    /// User channel: the authenticated key, and the condition ids it filters on (empty: all).
    private var owner: String?
    private var markets: Set<String> = []

    init(exchange: PolySimExchange, channel: Channel, faults: PolySimWSFaults, outbox: AsyncStream<SimWSOutgoing>.Continuation,
         connection: any NIOCore.Channel) {
        self.exchange = exchange
        self.channel = channel
        self.faults = faults
        self.outbox = outbox
        self.connection = connection
    }

    func sendFrame(_ opcode: WebSocketOpcode, _ data: Data) { outbox.yield(.frame(opcode, data)) }

    private func send<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return }
        sendData(data)
    }

    /// Queues a data message, applying any queued fault.
    private func sendData(_ data: Data) {
        if let fault = faults.take(where: { if case .stall = $0 { return true }; return false }), case let .stall(duration) = fault {
            outbox.yield(.stall(duration))
        }
        if faults.take(where: { $0 == .dropConnection }) != nil {
            connection.close(promise: nil)
            return
        }
        if faults.take(where: { $0 == .malformedFrame }) != nil { sendFrame(.text, Data("{\"event_type\": garbage".utf8)) }
        sendFrame(.text, data)
    }

    private struct Subscribe: Decodable {
        struct Auth: Decodable {
            var apiKey: String
            var secret: String
            var passphrase: String
        }
        var assets_ids: [String]?
        var markets: [String]?
        var type: String?
        var operation: String?
        var auth: Auth?
    }

    private struct ErrorMessage: Encodable {
        var event_type = "error"
        var error: String
    }

    private func handleText(_ text: String) async {
        if text == "PING" {
            sendFrame(.text, Data("PONG".utf8))
            return
        }
        guard let request = try? JSONDecoder().decode(Subscribe.self, from: Data(text.utf8)) else {
            send(ErrorMessage(error: "invalid message"))
            return
        }
        switch channel {
        case .market: await subscribeMarket(request)
        case .user: await subscribeUser(request)
        }
    }

    private func subscribeMarket(_ request: Subscribe) async {
        let tokens = request.assets_ids ?? []
        if request.operation == "unsubscribe" {
            for token in tokens { assets[token] = nil }
            return
        }
        let fresh = Array(Set(tokens.filter { assets[$0] == nil })).sorted()
        guard !fresh.isEmpty else { return }
        let (version, books) = await exchange.bookSnapshot(fresh)
        for token in fresh { assets[token] = version }
        let events = books.map { PolyWSBook(assetID: $0.assetID, market: $0.market, bids: $0.bids, asks: $0.asks, timestamp: $0.timestamp, hash: $0.hash) }
        if !events.isEmpty { send(events) }
    }

    private func subscribeUser(_ request: Subscribe) async {
        guard let auth = request.auth, let key = await exchange.lookup(apiKey: auth.apiKey), key.secret == auth.secret, key.passphrase == auth.passphrase else {
            send(ErrorMessage(error: "authentication failed"))
            connection.close(promise: nil)
            return
        }
        owner = auth.apiKey
        markets = Set(request.markets ?? [])
    }

    private func handle(_ event: PolySimEvent) {
        switch (channel, event) {
        case let (.market, .priceChange(change, version)):
            var mine = change
            // Only tokens subscribed, and only changes newer than the snapshot the client holds.
            mine.priceChanges = change.priceChanges.filter { assets[$0.assetID].map { version > $0 } ?? false }
            guard !mine.priceChanges.isEmpty else { return }
            if faults.take(where: { $0 == .skipPriceChange }) != nil { return }
            if faults.take(where: { $0 == .corruptHash }) != nil {
                for index in mine.priceChanges.indices { mine.priceChanges[index].hash = String(repeating: "0", count: 40) }
            }
            send(mine)
        case let (.market, .lastTrade(trade)) where assets[trade.assetID] != nil:
            send(trade)
        case let (.market, .tickSizeChange(change)) where assets[change.assetID] != nil:
            send(change)
        case let (.user, .order(eventOwner, order)) where eventOwner == owner && (markets.isEmpty || markets.contains(order.market)):
            send(order)
        case let (.user, .trade(eventOwner, trade)) where eventOwner == owner && (markets.isEmpty || markets.contains(trade.market)):
            send(PolyWSTrade(trade: trade))
        default:
            break
        }
    }
}
