import KalshiWire
import Execution
import Markets
import TradingClient

/// Following an accepted order to its final state: private-channel events, REST polls, timeout cancel.
extension KalshiExecutor {
    /// Works an accepted order until it is done, or cancels the remainder at the timeout.
    func work(_ orderID: String, _ request: ExecutionRequest, _ order: OrderLifecycle, immediateFill: Contracts?,
              started: ContinuousClock.Instant, cancelAllSince generation: Int) async -> ExecutionResult {
        let acknowledged = started.duration(to: .now)
        tracked[orderID] = Tracked(request: request, order: order, venueFilled: immediateFill, started: started,
                                   timing: ExecutionTiming(acknowledged: acknowledged, firstFill: immediateFill?.isPositive == true ? acknowledged : nil))
        if request.timeInForce != .goodTillCanceled, let immediateFill {
            // IOC/FOK: the create response is final; what did not fill was cancelled by the venue.
            tracked[orderID]?.venueStatus = immediateFill == request.count ? .executed : .canceled
        }
        for event in early.take(orderID) { await handle(event) }
        defer {
            tracked[orderID] = nil
            early.finish(orderID)
        }

        // A `cancelAll` while the order was being submitted: its remainder is cancelled now.
        let cancelAllMeanwhile = generation != cancelAllCount
        let deadline = cancelAllMeanwhile ? clock.now : clock.now.advanced(by: settings.orderTimeout)
        var timedOut = false
        while !isDone(orderID) {
            if clock.now >= deadline {
                timedOut = true
                break
            }
            switch settings.fillDetection {
            case .polling:
                try? await clock.sleep(until: earliest(clock.now.advanced(by: settings.pollInterval), deadline), tolerance: nil)
                await synchronise(orderID)
            case .websocket:
                let heard = await waitForChange(orderID, until: earliest(clock.now.advanced(by: settings.safetyPollInterval), deadline))
                if !heard, !isDone(orderID) { await synchronise(orderID) }
            }
        }
        if timedOut { await cancelRemainder(orderID) }
        if settings.confirmFillsWithREST || timedOut || needsFills(orderID) { await synchronise(orderID, fetchFills: true) }
        let unknown = finishLocally(orderID)
        let entry = tracked[orderID]
        let final = entry?.order ?? order
        let rejection: String? = if let fault = entry?.fault { fault.description }
            else if let unknown { unknown }
            else if timedOut, cancelAllMeanwhile { "cancel-all while it was being placed; remainder cancelled" }
            else if timedOut { "timed out after \(settings.orderTimeout); remainder cancelled" }
            else { nil }
        return ExecutionResult(final, rejection: rejection, timing: entry?.timing ?? ExecutionTiming(), fault: entry?.fault)
    }

    private func earliest(_ a: C.Instant, _ b: C.Instant) -> C.Instant { a < b ? a : b }

    /// The venue reports the order finished and every fill it counts is applied (or the order is full).
    private func isDone(_ orderID: String) -> Bool {
        guard let entry = tracked[orderID] else { return true }
        if entry.fault != nil || entry.order.state == .filled { return true }
        guard let status = entry.venueStatus, status == .canceled || status == .executed else { return false }
        return entry.order.filled >= (entry.venueFilled ?? .zero)
    }

    private func needsFills(_ orderID: String) -> Bool {
        guard let entry = tracked[orderID] else { return false }
        return entry.order.filled < (entry.venueFilled ?? .zero)
    }

    /// Applies the venue's final word: what is not filled of an order the venue cancelled is cancelled.
    /// Without that word — the venue could not be asked, or it counts fills its fill records do not show
    /// yet (REST reads lag the matching engine) — nothing is concluded: the order stays open with its
    /// outcome unknown, for the service to ask again. Returns why, when so.
    private func finishLocally(_ orderID: String) -> String? {
        guard var entry = tracked[orderID], entry.fault == nil, !entry.order.state.isTerminal else { return nil }
        let venueFilled = entry.venueFilled ?? .zero
        let reason: String
        switch entry.venueStatus {
        case .canceled? where entry.order.filled >= venueFilled:
            try? entry.order.cancel()
            tracked[orderID] = entry
            return nil
        case let status? where status == .canceled || status == .executed:
            reason = "the venue counts \(venueFilled.wireString) filled (\(status.rawValue)) but its fills show \(entry.order.filled.wireString)"
        case let status?:
            reason = "the venue still reports it \(status.rawValue)"
        case nil:
            reason = "the venue could not be asked how it ended"
        }
        entry.order.markOutcomeUnknown()
        tracked[orderID] = entry
        return "outcome unknown: \(reason); left open until the venue's record is complete"
    }

    /// Cancels what is left at the timeout; the REST sync that follows decides how the order ended.
    private func cancelRemainder(_ orderID: String) async {
        guard let entry = tracked[orderID] else { return }
        bump(\.timeoutCancels, "timeout_cancels")
        if case .cancelled = await cancelOnVenue(orderID, ticker: entry.request.ticker) { tracked[orderID]?.venueStatus = .canceled }
    }

    /// How the venue answered a cancel.
    enum CancelAnswer: Sendable {
        case cancelled(CancelOrderV2Response)
        /// Refused: the order had ended (404) or cannot be cancelled.
        case refused
        /// No answer after every try.
        case unanswered
    }

    /// `DELETE` of one order, tried again (up to `cancelAttempts`, spaced by `pollInterval` × attempt) while
    /// the venue does not answer it; a cancel is idempotent, one of an order already ended answers 404.
    func cancelOnVenue(_ orderID: String, ticker: String) async -> CancelAnswer {
        for attempt in 1...max(1, settings.cancelAttempts) {
            if attempt > 1 { try? await clock.sleep(for: settings.pollInterval * (attempt - 1), tolerance: nil) }
            do {
                return .cancelled(try await client.cancelOrder(orderID, marketTicker: ticker))
            } catch {
                if case .rejected = error.kind { return .refused }
            }
        }
        return .unanswered
    }

    /// One order a cancel-all cancels.
    struct CancelTarget: Sendable {
        let orderID: String
        let ticker: String
    }

    /// One request of a cancel-all: a batch, or one order on its own.
    enum CancelWork: Sendable {
        case batch([CancelTarget])
        case single(CancelTarget)

        struct Outcome: Sendable {
            var answers: [(orderID: String, answer: CancelAnswer)] = []
            /// Orders the batch did not answer for, to cancel one by one.
            var onTheirOwn: [CancelTarget] = []
        }

        static func plan(_ targets: [CancelTarget], batchSize: Int) -> [CancelWork] {
            guard batchSize > 1, targets.count > 1 else { return targets.map(CancelWork.single) }
            return targets.chunked(batchSize).map { chunk in chunk.count == 1 ? .single(chunk[chunk.startIndex]) : .batch(Array(chunk)) }
        }
    }

    func perform(_ work: CancelWork) async -> CancelWork.Outcome {
        switch work {
        case let .single(target):
            return CancelWork.Outcome(answers: [(target.orderID, await cancelOnVenue(target.orderID, ticker: target.ticker))])
        case let .batch(targets):
            return await cancelBatchOnVenue(targets)
        }
    }

    /// One batched cancel. An order cancelled by it is answered here; any other (its own error, which may be
    /// a transient one, missing from the answer, or the request not answered at all) is left to its own cancel,
    /// which knows "already ended" from "try again".
    private func cancelBatchOnVenue(_ targets: [CancelTarget]) async -> CancelWork.Outcome {
        let items = targets.map { BatchCancelOrderV2Item(orderID: $0.orderID, marketTicker: $0.ticker) }
        guard let response = try? await client.batchCancel(items) else { return CancelWork.Outcome(onTheirOwn: targets) }
        var outcome = CancelWork.Outcome()
        var results: [String: BatchCancelOrderV2Result] = [:]
        for result in response.orders where results[result.orderID] == nil { results[result.orderID] = result }
        for target in targets {
            if let result = results[target.orderID], result.error == nil {
                let cancelled = CancelOrderV2Response(orderID: result.orderID, clientOrderID: result.clientOrderID, reducedBy: result.reducedBy,
                                                      tsMs: result.tsMs ?? 0)
                outcome.answers.append((target.orderID, .cancelled(cancelled)))
            } else {
                outcome.onTheirOwn.append(target)
            }
        }
        return outcome
    }

    // MARK: Events

    func handle(_ event: AccountEvent) async {
        switch event {
        case let .fill(fill):
            guard tracked[fill.orderID] != nil else { return early.keep(event, for: fill.orderID) }
            apply(fill.tradeID, to: fill.orderID, count: fill.countFP, yesPrice: fill.yesPriceDollars, fee: fill.feeCost,
                  isTaker: fill.isTaker, milliseconds: fill.tsMs)
        case let .order(update):
            guard tracked[update.orderID] != nil else { return early.keep(event, for: update.orderID) }
            tracked[update.orderID]?.venueStatus = update.status
            tracked[update.orderID]?.venueFilled = update.fillCountFP
            wake(update.orderID)
        case .position:
            break
        case let .connection(state):
            if case .connected = state {
                if connectedOnce { bump(\.reconnects, "reconnects") }
                connectedOnce = true
                // Messages may have been missed while disconnected: every working order checks REST.
                for orderID in tracked.keys { wake(orderID, changed: false) }
            }
        }
    }

    /// Applies one venue fill to a tracked order; duplicates are dropped, an overfill is a fault.
    private func apply(_ fillID: String, to orderID: String, count: Contracts, yesPrice: Dollars, fee: Dollars, isTaker: Bool, milliseconds: Int64?) {
        guard var entry = tracked[orderID],
              let fill = ExecutionFill(venueFillID: fillID, count: count, yesPrice: yesPrice, fee: fee, isTaker: isTaker, side: entry.request.side,
                                       timestampNanoseconds: (milliseconds ?? 0) * 1_000_000) else { return }
        if entry.timing.firstFill == nil { entry.timing.firstFill = entry.started.duration(to: .now) }
        do {
            if try entry.order.apply(fill) == .duplicate { bump(\.duplicateFillsDropped, "duplicate_fills_dropped") }
        } catch {
            if error.code == .overfill { bump(\.overfills, "overfills") }
            entry.fault = error
        }
        tracked[orderID] = entry
        wake(orderID)
    }

    /// Reads the order (and, when it has fills not applied yet, its fills) from REST.
    func synchronise(_ orderID: String, fetchFills: Bool = false) async {
        guard tracked[orderID] != nil else { return }
        if let venue = try? await client.order(orderID) {
            tracked[orderID]?.venueStatus = venue.status
            tracked[orderID]?.venueFilled = venue.fillCountFP
        }
        guard fetchFills || needsFills(orderID), let fills = try? await client.fills(orderID: orderID).collect() else { return }
        for fill in fills.sorted(by: { ($0.ts ?? 0, $0.fillID) < ($1.ts ?? 0, $1.fillID) }) {
            apply(fill.fillID, to: orderID, count: fill.countFP, yesPrice: fill.yesPriceDollars, fee: fill.feeCost,
                  isTaker: fill.isTaker, milliseconds: fill.ts.map { $0 * 1_000 })
        }
    }
}

extension KalshiExecutor: ChangeTracking {
    public nonisolated var waitClock: C { clock }
    public func changeSignal(_ orderID: String) -> ChangeSignal? { tracked[orderID]?.signal }
    public func setChangeSignal(_ orderID: String, _ signal: ChangeSignal) { tracked[orderID]?.signal = signal }
}
