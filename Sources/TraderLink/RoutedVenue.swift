import Execution
import Foundation
import Markets
import Synchronization

/// One platform's adapter on a controller (`TRADER_LISTEN`): each order goes to the connected trader of its
/// platform or to this process's own adapter, as `LEG_ROUTING` orders them and `CONTROLLER_PLATFORMS`
/// allows (`local` is `nil` when it does not), or is refused before anything is sent when neither exists.
/// A remote leg is journaled, breaker-checked and reconciled here like a local one: the trader's
/// `leg_result` (its fills one by one) becomes the order's outcome, and a leg the trader went away with
/// is ambiguous until the trader, asked with `leg_status`, says what became of it.
public struct RoutedVenue: Executor, VenueLedger {
    public let platform: Platform
    let local: VenueRouter.Adapter?
    let traders: TraderRegistry
    let rule: LegRouting
    let legTimeout: Duration
    let statusTimeout: Duration
    let log: @Sendable (String) -> Void
    /// Orders this process handed to a trader (an order of this process not in it executed here).
    private let remote = RemoteOrders()
    /// Orders journaled before this process started may have gone either way.
    private let startedNanoseconds: Int64

    public init(platform: Platform, local: VenueRouter.Adapter?, traders: TraderRegistry, rule: LegRouting, legTimeout: Duration = .seconds(30),
                statusTimeout: Duration = .seconds(5), log: @escaping @Sendable (String) -> Void) {
        self.platform = platform
        self.local = local
        self.traders = traders
        self.rule = rule
        self.legTimeout = legTimeout
        self.statusTimeout = statusTimeout
        self.log = log
        startedNanoseconds = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
    }

    /// Where an order of this platform would go now.
    public var route: LegRoute? {
        LegRoutes.route(platform, connected: traders.paths.current, local: local == nil ? [] : [platform], rule: rule)
    }

    /// The cash the platform's trader reported last.
    public func traderAvailable() async -> Dollars? { await traders.available(platform) }

    // MARK: Executor

    public func execute(_ request: ExecutionRequest) async -> ExecutionResult {
        await prepare(request).send()
    }

    public func prepare(_ request: ExecutionRequest) async -> PreparedExecution {
        switch route {
        case .local?:
            if let local {
                log("[HYBRID] \(request.clientOrderID.escapingControlCharacters): \(platform.rawValue) leg executes locally (CONTROLLER_PLATFORMS)")
                return await local.prepare(request)
            }
            return PreparedExecution { noPath(request) }
        case .remote?:
            return PreparedExecution {
                LaunchGate.current?.withdraw()  // a trader's leg: the local legs of its group do not wait for it
                return await executeRemotely(request)
            }
        case nil:
            return PreparedExecution { noPath(request) }
        }
    }

    /// Why an order of this platform has no execution path (when `route` is `nil`).
    public var noPathReason: String {
        "no \(platform.rawValue) trader is connected and CONTROLLER_PLATFORMS does not authorise \(platform.rawValue) here"
    }

    private func noPath(_ request: ExecutionRequest) -> ExecutionResult {
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        try? order.markNotPlaced(code: "NO_EXECUTION_PATH")
        return ExecutionResult(order, rejection: noPathReason + "; nothing was sent")
    }

    private func executeRemotely(_ request: ExecutionRequest) async -> ExecutionResult {
        let started = ContinuousClock.now
        let leg = TraderMessage.ExecuteLeg(marketID: request.ticker, legID: request.clientOrderID, platform: platform, action: request.action,
                                           side: request.side, price: request.limit, contracts: request.count, instrument: request.ticker,
                                           pairID: request.signalID ?? "", description: "")
        remote.insert(request.clientOrderID)
        log("[REMOTE_EXEC] \(request.clientOrderID.escapingControlCharacters) → \(platform.rawValue) trader: \(request.action.rawValue) "
            + "\(request.count.wireString) \(request.side.rawValue) @ \(request.limit.wireString) \(request.ticker.prefix(40))")
        var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
        switch await traders.execute(leg, timeout: legTimeout) {
        case let .notSent(reason):
            remote.remove(request.clientOrderID)
            try? order.markNotPlaced(code: "NO_EXECUTION_PATH")
            return ExecutionResult(order, rejection: "\(reason); nothing was sent")
        case let .lost(reason):
            try? order.markAmbiguous()
            log("[REMOTE_EXEC] \(request.clientOrderID.escapingControlCharacters): outcome unknown (\(reason)); asked again when the trader is back")
            return ExecutionResult(order, rejection: "outcome unknown: \(reason)")
        case let .result(answer):
            let elapsed = started.duration(to: .now)
            let result = Self.outcome(answer, of: request, into: order, acknowledgedAfter: elapsed)
            log("[REMOTE_EXEC] \(request.clientOrderID.escapingControlCharacters): \(result.order.state.rawValue), filled \(result.order.filled.wireString)"
                + (answer.error.map { " (\($0.escapingControlCharacters))" } ?? "") + " in \(elapsed.wholeMilliseconds) ms")
            return result
        }
    }

    /// The trader's answer as the order's lifecycle: its fills, then how it ended.
    public static func outcome(_ answer: TraderMessage.LegResultMessage, of request: ExecutionRequest, into start: OrderLifecycle,
                        acknowledgedAfter elapsed: Duration) -> ExecutionResult {
        var order = start
        let fills = fills(answer, orderID: request.clientOrderID)
        do {
            if answer.refused, fills.isEmpty {
                // Refused by the trader before its venue saw it: nothing was placed.
                try order.markNotPlaced(code: "TRADER_REFUSED")
                return ExecutionResult(order, rejection: answer.error ?? "refused by the trader")
            }
            try order.markSubmitted()
            if answer.ambiguous {
                // Its fills so far come with the venue's final record, when the trader is asked again.
                try order.markAmbiguous()
                return ExecutionResult(order, rejection: answer.error)
            }
            if !answer.success, fills.isEmpty {
                try order.reject(code: "TRADER: " + (answer.error ?? "rejected").prefix(80))
                return ExecutionResult(order, rejection: answer.error)
            }
            if let id = answer.orderID { try order.acknowledge(venueOrderID: id) }
            for fill in fills { try order.apply(fill) }
            if !order.state.isTerminal { try order.cancel() }
        } catch {
            // A fill the order cannot take (an overfill above all): the breaker halts on the fault.
            return ExecutionResult(order, rejection: answer.error, fault: error)
        }
        return ExecutionResult(order, rejection: answer.error, timing: ExecutionTiming(acknowledged: elapsed, firstFill: order.filled.isPositive ? elapsed : nil))
    }

    /// The leg's fills as reported, or (from a trader that sends only totals) one fill at the average price.
    static func fills(_ answer: TraderMessage.LegResultMessage, orderID: String) -> [ExecutionFill] {
        if let fills = answer.fills {
            return fills.compactMap { fill in
                guard let count = try? Contracts(parsing: fill.count), let price = try? Price(parsing: fill.price), let fee = try? Dollars(parsing: fill.fee)
                else { return nil }
                return ExecutionFill(fillID: fill.fillID, count: count, price: price, fee: fee, role: LiquidityRole(rawValue: fill.role) ?? .taker,
                                     timestampNanoseconds: fill.ts)
            }
        }
        guard let count = try? Contracts(parsing: answer.filled), count.isPositive, let average = answer.avgPrice.flatMap({ try? Dollars(parsing: $0) }),
              let price = Price(average) else { return [] }
        let fee = (try? Dollars(parsing: answer.fees)) ?? .zero
        return [ExecutionFill(fillID: "\(orderID)-total", count: count, price: price, fee: fee, role: .taker,
                              timestampNanoseconds: Int64(Date().timeIntervalSince1970 * 1_000_000_000))]
    }

    public func cancelAll() async -> Int { await local?.cancelAll() ?? 0 }
    public func openOrders() async -> [OrderLifecycle] { await local?.openOrders() ?? [] }
    public func positions() async -> [String: Contracts] { await local?.positions() ?? [:] }

    // MARK: VenueLedger

    public func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder] {
        try await local?.listedOrders(excluding: isKnown) ?? []
    }

    /// An order handed to a trader is asked about there; one executed here, here. An order of an earlier
    /// run that this venue does not know may have gone to a trader: only the trader's answer settles it.
    public func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord? {
        let handedOver = remote.contains(order.clientOrderID)
        let earlier = order.createdNanoseconds < startedNanoseconds
        if let local, !handedOver {
            if let record = try await local.venueOrder(for: order) { return record }
            guard earlier else { return nil }
        }
        let answer = try await traders.status(order.clientOrderID, platform: platform, timeout: statusTimeout)
        guard answer.known else { return nil }
        guard !answer.ambiguous else { throw TraderUnavailable("the \(platform.rawValue) trader does not know yet how \(order.clientOrderID) ended") }
        let fills = Self.fills(answer, orderID: order.clientOrderID)
        let filled = fills.reduce(Contracts.zero) { $0.addingSaturated($1.count) }
        return VenueOrderRecord(venueOrderID: answer.orderID ?? order.clientOrderID, status: filled == order.requested ? .executed : .canceled,
                                filled: filled, fills: fills)
    }

    public func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws {
        try await local?.cancelStale(order, venueOrderID: venueOrderID)
    }

    /// Positions are compared only where every order executes here: a platform traders may trade keeps
    /// its positions in this journal, not in this process's venue account.
    public func venuePositions() async throws -> [String: Contracts]? { nil }
    public var positionPlatforms: Set<Platform> { [] }

    /// Only this process's own venue can say at once that it never had an order (paper); a trader's
    /// "never received" waits out the window like any venue's silence.
    public func absenceIsDefinitive(for order: JournalOrder) -> Bool {
        guard let local, !remote.contains(order.clientOrderID), order.createdNanoseconds >= startedNanoseconds else { return false }
        return local.absenceIsDefinitive(for: order)
    }
}

/// The client order ids handed to traders by this process.
final class RemoteOrders: Sendable {
    private let ids = Mutex<Set<String>>([])
    func insert(_ id: String) { ids.withLock { _ = $0.insert(id) } }
    func remove(_ id: String) { ids.withLock { _ = $0.remove(id) } }
    func contains(_ id: String) -> Bool { ids.withLock { $0.contains(id) } }
}
