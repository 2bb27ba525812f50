import Arbitrage
import Crypto
import Execution
import Foundation
import Markets

/// A trader's execution of the legs its controller sends: the same `LegExecutor` as local execution
/// (its own breaker and journal), each `leg_id` executed at most once across reconnects and restarts.
///
/// A leg's client order id is derived from its `leg_id` alone, and the order is journaled before it is
/// sent; so a repeated `execute_leg` (while the first runs, after it ended, or after a restart) finds the
/// order and answers with what became of it rather than trading again. A leg for a platform this trader
/// does not trade is refused; under `dry_run` (from `init`) legs are checked and never sent.
public actor TraderDesk {
    public let platform: Platform
    private let legs: any LegExecutor
    private let journal: Journal
    private let log: @Sendable (String) -> Void
    /// Readies the leg's market before it executes (a paper trader subscribes to its book first).
    private let ready: @Sendable (Platform, String) async -> Void
    private var dryRun = false
    private var closing = false
    private var running: [String: [CheckedContinuation<TraderMessage.LegResultMessage, Never>]] = [:]
    /// Answers given without an order (refusals, denials, dry runs), for repeats of the same leg.
    private var answered: [String: TraderMessage.LegResultMessage] = [:]
    private var idle: [CheckedContinuation<Void, Never>] = []

    public init(platform: Platform, legs: any LegExecutor, journal: Journal, ready: @escaping @Sendable (Platform, String) async -> Void = { _, _ in },
                log: @escaping @Sendable (String) -> Void) {
        self.ready = ready
        self.platform = platform
        self.legs = legs
        self.journal = journal
        self.log = log
    }

    /// The client order id of a leg: `t-` and the leg id when short and plain, else a readable prefix and
    /// a digest of the whole id (distinct leg ids never share an order id).
    public static func clientOrderID(_ legID: String) -> String {
        let plain = legID.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }
        if plain, legID.utf8.count <= 60, !legID.isEmpty { return "t-" + legID }
        let digest = SHA256.hash(data: Data(legID.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        let readable = String(legID.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }.prefix(30))
        return "t-" + readable + "-" + digest
    }

    public func setDryRun(_ value: Bool) { dryRun = value }

    /// Executes `leg` once; a repeat gets the first one's answer.
    public func execute(_ leg: TraderMessage.ExecuteLeg) async -> TraderMessage.LegResultMessage {
        let id = leg.legID
        func refuse(_ reason: String) -> TraderMessage.LegResultMessage {
            TraderMessage.LegResultMessage(legID: id, platform: leg.platform, success: false, filled: .zero, avgPrice: nil, orderID: nil, error: reason,
                                           ambiguous: false, fees: .zero, refused: true)
        }
        if running[id] != nil {
            log("[TRADER] duplicate execute_leg \(id.escapingControlCharacters) while it runs: answered with its result, not executed again")
            return await withCheckedContinuation { running[id, default: []].append($0) }
        }
        if let earlier = answered[id] ?? journaled(id) {
            log("[TRADER] duplicate execute_leg \(id.escapingControlCharacters): already handled; answered from the journal, not executed again")
            return earlier
        }
        guard leg.platform == platform else {
            log("[TRADER] refused leg \(id.escapingControlCharacters): it is for \(leg.platform.rawValue), this trader trades \(platform.rawValue)")
            return remember(refuse("this trader trades \(platform.rawValue) only; a \(leg.platform.rawValue) leg is refused, nothing sent"))
        }
        guard !closing else { return refuse("the trader is shutting down; nothing sent") }
        guard let instrument = leg.instrument, let price = leg.limit, let count = leg.count else { return remember(refuse("malformed leg; nothing sent")) }
        let request = LegRequest(legID: id, platform: platform, action: leg.action, side: leg.side, price: price, contracts: count, instrument: instrument)
        running[id] = []
        defer { finish(id) }
        if dryRun {
            let checked = await legs.capacity([request], upTo: max(count.hundredths / Contracts.scale, 1))
            let answer: TraderMessage.LegResultMessage
            switch checked {
            case let .failure(denial): answer = refuse("dry_run: the breaker would deny it (\(denial)); nothing sent")
            case let .success(allowed) where !allowed.isPositive: answer = refuse("dry_run: \(instrument.prefix(40)) is not listed here; nothing sent")
            case .success:
                answer = TraderMessage.LegResultMessage(legID: id, platform: platform, success: true, filled: .zero, avgPrice: nil, orderID: nil,
                                                        error: "dry_run: checked, not sent", ambiguous: false, fees: .zero, refused: true)
            }
            log("[TRADER] DRY RUN leg \(id.escapingControlCharacters): \(leg.action.rawValue) \(count.wireString) \(leg.side.rawValue) @ \(price.wireString) "
                + "\(instrument.prefix(40)) — \(answer.error ?? "")")
            return remember(answer)
        }
        log("[TRADER] leg \(id.escapingControlCharacters): \(leg.action.rawValue) \(count.wireString) \(leg.side.rawValue) @ \(price.wireString) \(instrument.prefix(40))")
        await ready(platform, instrument)
        let result = await legs.executeLeg(request, arbID: leg.pairID.isEmpty ? leg.marketID : leg.pairID, closing: leg.action == .sell)
        let answer = journaled(id) ?? remember(TraderMessage.LegResultMessage(
            legID: id, platform: platform, success: result.success, filled: result.filled, avgPrice: result.averagePrice, orderID: result.venueOrderID,
            error: result.error, ambiguous: result.ambiguous, fees: result.fees, refused: result.denied))
        log("[TRADER] leg \(id.escapingControlCharacters): \(answer.ambiguous ? "outcome unknown" : answer.success ? "done" : "failed"), filled \(answer.filled)"
            + (answer.error.map { " (\($0.escapingControlCharacters))" } ?? ""))
        return answer
    }

    /// The leg's turn is over: repeats that waited for it get its answer (as `status` now gives it).
    private func finish(_ id: String) {
        for waiter in running.removeValue(forKey: id) ?? [] { waiter.resume(returning: status(id)) }
        if running.isEmpty {
            let waiters = idle
            idle.removeAll()
            for waiter in waiters { waiter.resume() }
        }
    }

    private func remember(_ answer: TraderMessage.LegResultMessage) -> TraderMessage.LegResultMessage {
        answered[answer.legID] = answer
        return answer
    }

    /// What became of `legID`, for `leg_status`: from the journal (the order and its fills), `known` false
    /// when this trader never had it; `ambiguous` while the venue has not said how it ended.
    public func status(_ legID: String) -> TraderMessage.LegResultMessage {
        if let answer = answered[legID] ?? journaled(legID) { return answer }
        return TraderMessage.LegResultMessage(legID: legID, platform: platform, success: false, filled: .zero, avgPrice: nil, orderID: nil,
                                              error: running[legID] != nil ? "still executing" : "this trader never received leg \(legID)",
                                              ambiguous: running[legID] != nil, fees: .zero, known: running[legID] != nil)
    }

    /// The journal's record of the leg's order, when there is one.
    private func journaled(_ legID: String) -> TraderMessage.LegResultMessage? {
        let orderID = Self.clientOrderID(legID)
        guard let order = try? journal.order(orderID) else { return nil }
        let fills = (try? journal.fills(orderID)) ?? []
        let filled = fills.reduce(Contracts.zero) { $0.addingSaturated($1.count) }
        let money = fills.reduce(Dollars.zero) { $0.addingSaturated((try? $1.price.notional($1.count, rounding: .up)) ?? .zero) }
        let fees = fills.reduce(Dollars.zero) { $0.addingSaturated($1.fee) }
        let average = Dollars.average(of: money, over: filled, rounding: .down)
        let ended = order.state.isTerminal
        let failed = order.state == .rejected || order.state == .notPlaced
        return TraderMessage.LegResultMessage(
            legID: legID, platform: order.platform, success: ended && !failed, filled: filled, avgPrice: average, orderID: order.venueOrderID,
            error: failed ? (order.errorCode ?? order.state.rawValue) : ended ? nil : "the venue has not said how the order ended",
            ambiguous: !ended, fees: fees,
            fills: fills.map { .init(fillID: $0.fillID, count: $0.count, price: $0.price, fee: $0.fee, role: $0.role.rawValue, ts: $0.nanoseconds) })
    }

    /// Stops taking legs and returns once none is running.
    public func close() async {
        closing = true
        guard !running.isEmpty else { return }
        await withCheckedContinuation { idle.append($0) }
    }
}
