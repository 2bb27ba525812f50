import Execution
import Foundation
import Markets
import PolymarketClient
import PolymarketWire

/// Following an accepted order to its end: user-channel events, REST reads, timeout cancel, and each
/// trade to its final status.
extension PolymarketExecutor {
    /// Statuses without the REST prefixes (`ORDER_STATUS_LIVE` → `LIVE`, `TRADE_STATUS_MINED` → `MINED`).
    public static func plain(_ status: String) -> String {
        for prefix in ["ORDER_STATUS_", "TRADE_STATUS_"] where status.hasPrefix(prefix) { return String(status.dropFirst(prefix.count)) }
        return status.uppercased()
    }

    static func isFinal(tradeStatus: String) -> Bool { tradeStatus == "CONFIRMED" || tradeStatus == "FAILED" }

    /// Whether a trade involves an order (as its taker or one of its makers).
    static func involves(_ trade: PolyTrade, _ orderID: String) -> Bool {
        trade.takerOrderID == orderID || trade.makerOrders.contains { $0.orderID == orderID }
    }

    /// Shares from a venue size, floored to the core's hundredths. The user channel writes decimal shares
    /// (`"12.5"`). The REST API's trade and order sizes are 6-decimal base units in the CLOB OpenAPI's
    /// examples but decimal shares in observed answers, so a REST size (`rest`) is read as base units only
    /// when read as shares it would exceed the order, which no part of an order can.
    static func shares(_ text: String, order: Contracts, rest: Bool = false) -> Contracts? {
        guard var micros = PolyDecimal.micros(text) else { return nil }
        let bound = order.hundredths.multipliedReportingOverflow(by: 10_000)
        if rest, !text.utf8.contains(UInt8(ascii: ".")), !bound.overflow, micros > bound.partialValue, let base = Int64(text) { micros = base }
        return Contracts(hundredths: micros / 10_000)
    }

    /// This order's part of a trade, as fills priced in the traded token: as taker, one fill per maker
    /// order it met (at that maker's price, seen from our token); as maker, its matched amount at its price.
    static func fills(of trade: PolyTrade, orderID: String, token: String, requested: Contracts, rest: Bool = false) -> [ExecutionFill] {
        let nanoseconds = (Int64(trade.matchTime) ?? 0).multipliedReportingOverflow(by: 1_000_000_000).partialValue
        let feeRate = Int64(trade.feeRateBps ?? "0") ?? 0
        func price(_ text: String, asset: String) -> Price? {
            guard let micros = PolyDecimal.micros(text), let value = Price(micros: micros) else { return nil }
            return asset == token || asset.isEmpty ? value : value.complement
        }
        if trade.takerOrderID == orderID {
            if trade.makerOrders.isEmpty {
                guard let count = shares(trade.size, order: requested, rest: rest), count.isPositive, let at = price(trade.price, asset: trade.assetID) else { return [] }
                return [ExecutionFill(fillID: trade.id, count: count, price: at, fee: FeeSchedule.polymarket(feeRateBps: feeRate).fee(count: count, price: at, role: .taker),
                                      role: .taker, timestampNanoseconds: nanoseconds)]
            }
            return trade.makerOrders.compactMap { maker in
                guard let count = shares(maker.matchedAmount, order: requested, rest: rest), count.isPositive, let at = price(maker.price, asset: maker.assetID) else { return nil }
                return ExecutionFill(fillID: trade.id + ":" + maker.orderID, count: count, price: at,
                                     fee: FeeSchedule.polymarket(feeRateBps: feeRate).fee(count: count, price: at, role: .taker), role: .taker,
                                     timestampNanoseconds: nanoseconds)
            }
        }
        guard let mine = trade.makerOrders.first(where: { $0.orderID == orderID }), let count = shares(mine.matchedAmount, order: requested, rest: rest),
              count.isPositive, let at = price(mine.price, asset: mine.assetID) else { return [] }
        return [ExecutionFill(fillID: trade.id + ":" + orderID, count: count, price: at, fee: .zero, role: .maker, timestampNanoseconds: nanoseconds)]
    }

    /// The POST answer: the venue has the order. `matched` on an immediate order is final for the order
    /// (the rest was killed); `live`/`delayed` on one means it will match later (or be cancelled).
    func accept(_ orderID: String, response: PolyOrderResponse?, type: PolyOrderType) {
        guard var entry = tracked[orderID] else { return }
        try? entry.order.acknowledge(venueOrderID: orderID)
        entry.timing.acknowledged = entry.started.duration(to: .now)
        if let response {
            let status = Self.plain(response.status)
            switch status {
            case "MATCHED":
                if type.isImmediate { entry.venueFinished = true }
                // The shares matched: what a BUY takes, what a SELL gives.
                let shares = entry.request.action == .buy ? response.takingAmount : response.makingAmount
                if let matched = shares.flatMap({ Self.shares($0, order: entry.request.count) }) { entry.venueMatched = max(entry.venueMatched, matched) }
                if entry.timing.firstFill == nil { entry.timing.firstFill = entry.timing.acknowledged }
            case "UNMATCHED":
                entry.venueFinished = true
            default:
                if type.isImmediate { bump(\.delayedOrders, "delayed_orders") }
            }
            for tradeID in response.tradeIDs ?? [] where entry.trades[tradeID] == nil {
                entry.trades[tradeID] = TradePart(status: "MATCHED", fills: [])
            }
        }
        tracked[orderID] = entry
        for trade in early.take(orderID) { record(trade, for: orderID) }
    }

    /// Works an accepted order until the venue is done with it and its trades are final, cancelling the
    /// remainder at the timeout.
    func work(_ orderID: String, cancelAllSince generation: Int) async -> ExecutionResult {
        // A `cancelAll` while the order was being submitted: its remainder is cancelled now.
        let cancelAllMeanwhile = generation != cancelAllCount
        let deadline = cancelAllMeanwhile ? clock.now : clock.now.advanced(by: settings.orderTimeout)
        var settleBy = clock.now.advanced(by: settings.orderTimeout + settings.settlementTimeout)
        var timedOut = false
        // The remainder is cancelled at the deadline, and again every safety poll while the venue has not
        // finished with the order (a cancel that did nothing, or got no answer), until the settlement timeout.
        var cancelAt = deadline
        while !isDone(orderID) {
            let finished = tracked[orderID]?.venueFinished ?? true
            if !finished, clock.now >= cancelAt, clock.now < settleBy || !timedOut {
                if !timedOut {
                    bump(\.timeoutCancels, "timeout_cancels")
                    settleBy = clock.now.advanced(by: settings.settlementTimeout)
                }
                timedOut = true
                await cancelRemainder(orderID)
                cancelAt = clock.now.advanced(by: settings.safetyPollInterval)
                continue
            }
            if clock.now >= settleBy { break }
            let wakeAt = earliest(clock.now.advanced(by: settings.safetyPollInterval), finished ? settleBy : earliest(cancelAt, settleBy))
            let heard = user == nil ? false : await waitForChange(orderID, until: wakeAt)
            if user == nil { try? await clock.sleep(until: wakeAt, tolerance: nil) }
            if !heard, !isDone(orderID) { await synchronise(orderID) }
        }
        finishLocally(orderID)
        // Not done: the venue's word on the order or on a trade is not final yet. What was read so far is
        // not its outcome; the order stays open, asked about again until it is.
        if !isDone(orderID) { tracked[orderID]?.order.markOutcomeUnknown() }
        guard let entry = tracked[orderID] else {
            return ExecutionResult(OrderLifecycle(clientOrderID: "", requested: .zero), rejection: "order \(orderID) was not tracked")
        }
        let pending = entry.trades.filter { !Self.isFinal(tradeStatus: $0.value.status) }.count
        let rejection: String? = if let fault = entry.fault { fault.description }
            else if pending > 0 { "outcome unknown: \(pending) matched trade(s) not final after \(settings.settlementTimeout); the venue's word settles them" }
            else if entry.order.isAmbiguous { "outcome unknown: the venue's record of the order is not complete; asked again until it is" }
            else if timedOut, cancelAllMeanwhile { "cancel-all while it was being placed; remainder cancelled" }
            else if timedOut { "timed out after \(settings.orderTimeout); remainder cancelled" }
            else { nil }
        return ExecutionResult(entry.order, rejection: rejection, timing: entry.timing, fault: entry.fault)
    }

    private func earliest(_ a: C.Instant, _ b: C.Instant) -> C.Instant { a < b ? a : b }

    /// Done: a fault, or the venue finished with the order, its trades account for all it matched, and
    /// every one of them is final.
    private func isDone(_ orderID: String) -> Bool {
        guard let entry = tracked[orderID] else { return true }
        if entry.fault != nil { return true }
        guard entry.venueFinished || entry.order.state == .filled else { return false }
        let known = entry.trades.values.reduce(Contracts.zero) { $0.addingSaturated($1.matched) }
        guard known >= entry.venueMatched else { return false }
        return entry.trades.values.allSatisfy { Self.isFinal(tradeStatus: $0.status) }
    }

    /// What the venue did not fill of an order it finished is cancelled, once every trade is final.
    private func finishLocally(_ orderID: String) {
        guard var entry = tracked[orderID], entry.fault == nil, entry.venueFinished, entry.order.remaining.isPositive,
              entry.trades.values.allSatisfy({ Self.isFinal(tradeStatus: $0.status) }), !entry.order.state.isTerminal,
              entry.trades.values.reduce(Contracts.zero, { $0.addingSaturated($1.matched) }) >= entry.venueMatched else { return }
        try? entry.order.cancel()
        tracked[orderID] = entry
    }

    /// Cancels what is left at the timeout. Only `canceled` ends the order: `not_canceled` ("Order not found
    /// or already canceled", "order already matched") says the cancel did nothing, not where the order
    /// stands — the venue's record of it, read next, says that (a DELAYED order can still match).
    private func cancelRemainder(_ orderID: String) async {
        if let answer = try? await client.cancel(orderID: orderID), answer.canceled.contains(orderID) { tracked[orderID]?.venueFinished = true }
        await synchronise(orderID)
    }

    // MARK: Events

    func handle(_ event: PolyUserEvent) {
        switch event {
        case let .order(update):
            guard let entry = tracked[update.id] else { return }
            if let matched = Self.shares(update.sizeMatched, order: entry.request.count) { noteMatched(matched, for: update.id) }
            applyStatus(Self.plain(update.status ?? ""), type: update.type, to: update.id)
        case let .trade(trade):
            let involved = [trade.takerOrderID] + trade.makerOrders.map(\.orderID)
            let mine = involved.filter { tracked[$0] != nil }
            for orderID in mine { record(trade, for: orderID) }
            guard mine.isEmpty else { return }
            // Possibly an order whose POST answer has not arrived yet: kept (bounded) until it does.
            for orderID in involved { early.keep(trade, for: orderID) }
        case let .connected(up):
            guard up else { return }
            if connectedOnce { bump(\.reconnects, "reconnects") }
            connectedOnce = true
            // Events may have been missed while the channel was down: every working order checks REST.
            for orderID in tracked.keys { wake(orderID, changed: false) }
        }
    }

    private func applyStatus(_ status: String, type: String? = nil, to orderID: String) {
        switch status {
        case "MATCHED", "CANCELED", "CANCELLED", "UNMATCHED": tracked[orderID]?.venueFinished = true
        default: if type == "CANCELLATION" { tracked[orderID]?.venueFinished = true }
        }
        wake(orderID)
    }

    /// The venue's record of the order (REST).
    func apply(_ venue: PolyOpenOrder, to orderID: String) {
        if let entry = tracked[orderID], let matched = Self.shares(venue.sizeMatched, order: entry.request.count, rest: true) { noteMatched(matched, for: orderID) }
        applyStatus(Self.plain(venue.status), to: orderID)
    }

    private func noteMatched(_ matched: Contracts, for orderID: String) {
        guard let current = tracked[orderID]?.venueMatched, matched > current else { return }
        tracked[orderID]?.venueMatched = matched
    }

    /// One trade event (or REST read) for an order: its status moves; its fills count once it is CONFIRMED;
    /// FAILED withdraws it for good.
    func record(_ trade: PolyTrade, for orderID: String, rest: Bool = false) {
        guard var entry = tracked[orderID] else { return }
        let status = Self.plain(trade.status)
        var part = entry.trades[trade.id] ?? TradePart(status: "MATCHED", fills: [])
        if part.fills.isEmpty, !part.withdrawn {
            part.fills = Self.fills(of: trade, orderID: orderID, token: entry.token, requested: entry.request.count, rest: rest)
            part.matched = part.fills.reduce(Contracts.zero) { $0.addingSaturated($1.count) }
        }
        if entry.timing.firstFill == nil { entry.timing.firstFill = entry.started.duration(to: .now) }
        if !Self.isFinal(tradeStatus: part.status) { part.status = status }  // a final status never moves
        if part.status == "FAILED", !part.withdrawn {
            part.withdrawn = true
            part.fills = []
            bump(\.failedTrades, "failed_trades")
        }
        if part.status == "CONFIRMED", !part.applied {
            part.applied = true
            for fill in part.fills {
                do {
                    if try entry.order.apply(fill) == .duplicate { bump(\.duplicateFillsDropped, "duplicate_fills_dropped") }
                } catch {
                    if error.code == .overfill { bump(\.overfills, "overfills") }
                    entry.fault = error
                }
            }
        }
        entry.trades[trade.id] = part
        tracked[orderID] = entry
        wake(orderID)
    }

    /// Reads the order and its trades from REST.
    func synchronise(_ orderID: String) async {
        guard let entry = tracked[orderID] else { return }
        if let venue = try? await client.order(orderID) { apply(venue, to: orderID) }
        guard let trades = try? await client.trades(market: entry.info.conditionID) else { return }
        for trade in trades where Self.involves(trade, orderID) { record(trade, for: orderID, rest: true) }
    }
}

extension PolymarketExecutor: ChangeTracking {
    public nonisolated var waitClock: C { clock }
    public func changeSignal(_ orderID: String) -> ChangeSignal? { tracked[orderID]?.signal }
    public func setChangeSignal(_ orderID: String, _ signal: ChangeSignal) { tracked[orderID]?.signal = signal }
}
