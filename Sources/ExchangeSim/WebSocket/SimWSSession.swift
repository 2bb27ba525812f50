import Foundation
import KalshiWire
import Markets
import NIOCore
import NIOWebSocket

/// One authenticated WebSocket connection to the simulator: its subscriptions (one `sid` per channel
/// subscribed, with its own `seq`), and the translation of exchange events into Kalshi channel messages.
///
/// Order-book deltas are the difference between the last book this session sent for a market and the
/// market's book after a change, so what a client holds at each `seq` is exactly a book the session
/// sent.
actor SimWSSession {
    struct Subscription {
        let sid: Int
        let channel: WSChannel
        /// `nil` means every market (channels whose filter is optional).
        var tickers: Set<String>?
        var useYesPrice: Bool
        var seq: Int64 = 0
        /// The books as this subscription's client should hold them.
        var sent: [String: OrderBook] = [:]
    }

    let exchange: SimExchange
    let account: String
    let faults: SimWSFaults
    /// Frames go through one writer task in the order they were made, so every event and command is
    /// atomic: a snapshot can never land inside the deltas of one book change.
    typealias Outgoing = SimWSOutgoing
    private let outbox: AsyncStream<Outgoing>.Continuation
    private let channel: any Channel
    /// The newest book seen per market (from events), with its version.
    private var latestBooks: [String: (version: UInt64, book: OrderBook)] = [:]
    private var subscriptions: [Int: Subscription] = [:]
    private var nextSid = 1
    private var heldBack: Data?

    init(exchange: SimExchange, account: String, faults: SimWSFaults, outbox: AsyncStream<Outgoing>.Continuation,
         channel: any Channel) {
        self.exchange = exchange
        self.account = account
        self.faults = faults
        self.outbox = outbox
        self.channel = channel
    }

    // MARK: Sending (synchronous: frames are queued in order, never interleaved)

    func sendFrame(_ opcode: WebSocketOpcode, _ data: Data) { outbox.yield(.frame(opcode, data)) }

    private func sendText(_ data: Data) { sendFrame(.text, data) }

    /// Queues a data message, applying any queued fault.
    private func sendData(_ data: Data, sequenced: Bool) {
        if let fault = faults.take(where: { if case .stall = $0 { return true }; return false }), case let .stall(duration) = fault {
            outbox.yield(.stall(duration))
        }
        if faults.take(where: { $0 == .dropConnection }) != nil {
            channel.close(promise: nil)
            return
        }
        if faults.take(where: { $0 == .malformedFrame }) != nil { sendText(Data("{\"type\": garbage".utf8)) }
        if sequenced, let held = heldBack {
            heldBack = nil
            sendText(data)
            sendText(held)
            return
        }
        if sequenced, faults.take(where: { $0 == .reorder }) != nil {
            heldBack = data
            // A reorder needs a second message; if none follows soon, the held one goes out late.
            Task {
                try? await Task.sleep(for: .milliseconds(50))
                self.releaseHeld()
            }
            return
        }
        sendText(data)
        if faults.take(where: { $0 == .duplicate }) != nil { sendText(data) }
    }

    private func releaseHeld() {
        guard let held = heldBack else { return }
        heldBack = nil
        sendText(held)
    }

    /// The next `seq` of a subscription (a queued `skipSequence` fault makes it jump by two).
    private func nextSeq(_ sid: Int) -> Int64 {
        let skip: Int64 = faults.take(where: { $0 == .skipSequence }) != nil ? 2 : 1
        subscriptions[sid]?.seq += skip
        return subscriptions[sid]?.seq ?? 0
    }

    /// A queued terminal error kills the subscription: error with its sid, then it is gone.
    private func terminalFault(_ sid: Int) -> Bool {
        guard let fault = faults.take(where: { if case .terminalError = $0 { return true }; return false }),
              case let .terminalError(code) = fault else { return false }
        subscriptions[sid] = nil
        sendText(WSOutbound.error(id: nil, sid: sid, code: code, message: code == WSErrorCode.bufferOverflow ? "subscription buffer overflow" : "channel error"))
        return true
    }

    func ping() { sendFrame(.ping, Data("heartbeat".utf8)) }

    // MARK: Commands

    func handleText(_ text: String) async {
        let command: WSCommand
        do {
            command = try KalshiJSON.decoder().decode(WSCommand.self, from: Data(text.utf8))
        } catch {
            sendText(WSOutbound.error(id: Self.commandID(in: text), code: WSErrorCode.unableToProcess, message: "unable to process message: \(KalshiJSON.describe(error))"))
            return
        }
        switch command.cmd {
        case .subscribe: await subscribe(command)
        case .unsubscribe: await unsubscribe(command)
        case .updateSubscription: await update(command)
        case .listSubscriptions:
            let list = subscriptions.values.sorted { $0.sid < $1.sid }.map { WSSubscriptionInfo(channel: $0.channel.rawValue, sid: $0.sid) }
            sendText(WSOutbound.subscriptions(id: command.id, list))
        }
    }

    /// The `id` of a command that failed to decode, if it has one, so the error can be matched.
    static func commandID(in text: String) -> Int? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["id"] as? Int
    }

    private func subscribe(_ command: WSCommand) async {
        guard let channels = command.params.channels, !channels.isEmpty else {
            sendText(WSOutbound.error(id: command.id, code: WSErrorCode.channelsRequired, message: "channels required"))
            return
        }
        let tickers = command.params.marketTickers
        let known = exchange.tickers
        if let unknown = tickers?.first(where: { !known.contains($0) }) {
            sendText(WSOutbound.error(id: command.id, code: WSErrorCode.invalidParameter, message: "unknown market \(unknown)"))
            return
        }
        if channels.contains(.orderbookDelta), tickers?.isEmpty ?? true {
            sendText(WSOutbound.error(id: command.id, code: WSErrorCode.marketTickerRequired, message: "market ticker required"))
            return
        }
        for channel in channels {
            let sid = nextSid
            nextSid += 1
            subscriptions[sid] = Subscription(sid: sid, channel: channel, tickers: tickers.map(Set.init),
                                              useYesPrice: command.params.useYesPrice ?? false)
            sendText(WSOutbound.subscribed(id: command.id, channel: channel, sid: sid))
            if channel == .orderbookDelta {
                for ticker in tickers ?? [] { await sendSnapshot(sid: sid, ticker: ticker, commandID: nil) }
            }
        }
    }

    private func unsubscribe(_ command: WSCommand) async {
        guard let sids = command.params.sids, !sids.isEmpty else {
            sendText(WSOutbound.error(id: command.id, code: WSErrorCode.sidsRequired, message: "sids required"))
            return
        }
        for sid in sids {
            guard let removed = subscriptions.removeValue(forKey: sid) else {
                sendText(WSOutbound.error(id: command.id, sid: sid, code: WSErrorCode.unknownSid, message: "unknown sid"))
                continue
            }
            sendText(WSOutbound.unsubscribed(id: command.id, sid: sid, seq: removed.seq))
        }
    }

    private func update(_ command: WSCommand) async {
        let sids = command.params.sids ?? command.params.sid.map { [$0] } ?? []
        guard sids.count == 1, let sid = sids.first else {
            sendText(WSOutbound.error(id: command.id, code: WSErrorCode.exactlyOneSid, message: "exactly one sid required"))
            return
        }
        guard var subscription = subscriptions[sid] else {
            sendText(WSOutbound.error(id: command.id, sid: sid, code: WSErrorCode.unknownSid, message: "unknown sid"))
            return
        }
        guard let action = command.params.action else {
            sendText(WSOutbound.error(id: command.id, sid: sid, code: WSErrorCode.actionRequired, message: "action required"))
            return
        }
        let tickers = command.params.marketTickers ?? []
        switch action {
        case "add_markets":
            subscription.tickers = (subscription.tickers ?? []).union(tickers)
            subscriptions[sid] = subscription
            sendText(WSOutbound.ok(id: command.id, sid: sid, marketTickers: (subscription.tickers ?? []).sorted()))
            if subscription.channel == .orderbookDelta { for ticker in tickers { await sendSnapshot(sid: sid, ticker: ticker, commandID: nil) } }
        case "delete_markets":
            subscription.tickers = subscription.tickers?.subtracting(tickers)
            for ticker in tickers { subscription.sent[ticker] = nil }
            subscriptions[sid] = subscription
            sendText(WSOutbound.ok(id: command.id, sid: sid, marketTickers: (subscription.tickers ?? []).sorted()))
        case "get_snapshot":
            guard subscription.channel == .orderbookDelta else {
                sendText(WSOutbound.error(id: command.id, sid: sid, code: WSErrorCode.unsupportedAction, message: "get_snapshot is for orderbook_delta"))
                return
            }
            for ticker in tickers where subscription.tickers?.contains(ticker) ?? false {
                await sendSnapshot(sid: sid, ticker: ticker, commandID: command.id)
            }
        default:
            sendText(WSOutbound.error(id: command.id, sid: sid, code: WSErrorCode.unsupportedAction, message: "unsupported action \(action)"))
        }
    }

    private func wireLevels(_ book: OrderBook, useYesPrice: Bool) -> (yes: [PriceLevelFP], no: [PriceLevelFP]) {
        (book.yesBids.map { PriceLevelFP(price: $0.price, count: $0.size) },
         book.noBids.map { PriceLevelFP(price: useYesPrice ? $0.price.complement : $0.price, count: $0.size) }
            .sorted { $0.price < $1.price })
    }

    private func sendSnapshot(sid: Int, ticker: String, commandID: Int?) async {
        let fetched = await exchange.versionedOrderBook(ticker)
        // Events may have been handled while the book was fetched: never send a book older than one
        // whose deltas already went out.
        var book = fetched?.book ?? OrderBook(ticker: ticker)
        if let seen = latestBooks[ticker], seen.version > (fetched?.version ?? 0) { book = seen.book }
        guard let subscription = subscriptions[sid] else { return }
        let levels = wireLevels(book, useYesPrice: subscription.useYesPrice)
        subscriptions[sid]?.sent[ticker] = book
        let seq = nextSeq(sid)
        sendData(WSOutbound.encode("orderbook_snapshot", id: commandID, sid: sid, seq: seq,
                                         msg: WSOrderbookSnapshot(marketTicker: ticker, yes: levels.yes, no: levels.no)), sequenced: true)
    }

    // MARK: Exchange events

    func handle(_ event: SimEvent) async {
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        if case let .book(ticker, book, version) = event, version > (latestBooks[ticker]?.version ?? 0) {
            latestBooks[ticker] = (version, book)
        }
        for sid in subscriptions.keys.sorted() {
            guard let subscription = subscriptions[sid] else { continue }
            switch (event, subscription.channel) {
            case let (.book(ticker, book, _), .orderbookDelta) where subscription.tickers?.contains(ticker) ?? false:
                sendDeltas(sid: sid, ticker: ticker, book: book, now: now)
            case let (.book(ticker, book, _), .ticker) where subscription.tickers?.contains(ticker) ?? true:
                let market = try? await exchange.market(ticker).get().market
                let message = WSTicker(marketTicker: ticker, price: market?.lastPriceDollars, yesBid: book.bestBid(.yes)?.price.dollars,
                                       yesAsk: book.bestAsk(.yes)?.price.dollars, yesBidSize: book.bestBid(.yes)?.size,
                                       yesAskSize: book.bestAsk(.yes)?.size, volume: market?.volumeFP, tsMs: now)
                if terminalFault(sid) { continue }
                sendData(WSOutbound.encode("ticker", sid: sid, msg: message), sequenced: false)
            case let (.trade(trade), .trade) where subscription.tickers?.contains(trade.ticker) ?? true:
                if terminalFault(sid) { continue }
                sendData(WSOutbound.encode("trade", sid: sid, seq: nextSeq(sid), msg: WSTrade(trade, tsMs: now)), sequenced: true)
            case let (.fill(owner, fill), .fill) where owner == account && (subscription.tickers?.contains(fill.ticker) ?? true):
                let order = try? await exchange.order(account: account, orderID: fill.orderID).get().order
                let position = await exchange.position(account: account, ticker: fill.ticker).positionFP
                sendData(WSOutbound.encode("fill", sid: sid, msg: WSFill(fill, clientOrderID: order?.clientOrderID, postPosition: position, tsMs: now)), sequenced: false)
            case let (.fill(owner, fill), .marketPositions) where owner == account && (subscription.tickers?.contains(fill.ticker) ?? true):
                sendData(WSOutbound.encode("market_position", sid: sid, msg: await exchange.position(account: account, ticker: fill.ticker)), sequenced: false)
            case let (.order(order), .userOrders) where order.userID == account && (subscription.tickers?.contains(order.ticker) ?? true):
                let reason: String? = order.status == .canceled ? "Cancel" : order.fillCountFP.isPositive ? "Trade" : nil
                sendData(WSOutbound.encode("user_order", sid: sid, msg: WSUserOrder(order, reason: reason)), sequenced: false)
            case let (.lifecycle(message), .marketLifecycle):
                sendData(WSOutbound.encode("market_lifecycle_v2", sid: sid, seq: nextSeq(sid), msg: message), sequenced: true)
            default:
                continue
            }
        }
    }

    /// Sends the level changes between the last book sent on `sid` and `book`.
    private func sendDeltas(sid: Int, ticker: String, book: OrderBook, now: Int64) {
        guard let subscription = subscriptions[sid] else { return }
        let previous = subscription.sent[ticker] ?? OrderBook(ticker: ticker)
        var changes: [WSOrderbookDelta] = []
        for side in [OutcomeSide.yes, .no] {
            var sizes: [Price: Int64] = [:]
            for level in previous.bids(side) { sizes[level.price, default: 0] -= level.size.hundredths }
            for level in book.bids(side) { sizes[level.price, default: 0] += level.size.hundredths }
            for (price, change) in sizes.sorted(by: { $0.key < $1.key }) where change != 0 {
                let wirePrice = side == .no && subscription.useYesPrice ? price.complement : price
                changes.append(WSOrderbookDelta(marketTicker: ticker, price: wirePrice, delta: Contracts(hundredths: change), side: side, tsMs: now))
            }
        }
        guard !changes.isEmpty else { return }
        if terminalFault(sid) { return }
        subscriptions[sid]?.sent[ticker] = book
        for change in changes {
            sendData(WSOutbound.encode("orderbook_delta", sid: sid, seq: nextSeq(sid), msg: change), sequenced: true)
        }
    }
}
