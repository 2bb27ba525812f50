import Markets

/// The venues of a run as the one executor and ledger the execution service and reconciliation see:
/// each venue adapter (Kalshi, Polymarket, paper on either) registers under its platform, and every
/// order, lookup and cancel goes to the adapter of its platform. Adding a venue registers an adapter;
/// the breaker, the journal and the service do not change.
public struct VenueRouter: Executor, VenueLedger {
    public typealias Adapter = any Executor & VenueLedger
    private let adapters: [Platform: Adapter]

    public init(_ adapters: [Platform: Adapter]) { self.adapters = adapters }

    /// The platforms this run can trade on.
    public var platforms: Set<Platform> { Set(adapters.keys) }

    public func adapter(for platform: Platform) -> Adapter? { adapters[platform] }

    // MARK: Executor

    public func execute(_ request: ExecutionRequest) async -> ExecutionResult {
        guard let adapter = adapters[request.platform] else {
            var order = OrderLifecycle(clientOrderID: request.clientOrderID, requested: request.count)
            try? order.reject(code: "VENUE_NOT_CONFIGURED")
            return ExecutionResult(order, rejection: "no \(request.platform.rawValue) venue is configured for this run; nothing was sent")
        }
        return await adapter.execute(request)
    }

    public func prepare(_ request: ExecutionRequest) async -> PreparedExecution {
        guard let adapter = adapters[request.platform] else { return PreparedExecution { await execute(request) } }
        return await adapter.prepare(request)
    }

    public func cancelAll() async -> Int {
        var cancelled = 0
        for adapter in adapters.values { cancelled += await adapter.cancelAll() }
        return cancelled
    }

    public func openOrders() async -> [OrderLifecycle] {
        var open: [OrderLifecycle] = []
        for adapter in adapters.values { open += await adapter.openOrders() }
        return open
    }

    public func positions() async -> [String: Contracts] {
        var all: [String: Contracts] = [:]
        for adapter in adapters.values { all.merge(await adapter.positions()) { first, _ in first } }
        return all
    }

    // MARK: VenueLedger

    public func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder] {
        var listed: [VenueListedOrder] = []
        for platform in adapters.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            listed += try await adapters[platform]?.listedOrders(excluding: isKnown) ?? []
        }
        return listed
    }

    public func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord? {
        guard let adapter = adapters[order.platform] else { throw JournalError("no \(order.platform.rawValue) venue to ask about \(order.clientOrderID)") }
        return try await adapter.venueOrder(for: order)
    }

    public func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws {
        try await adapters[order.platform]?.cancelStale(order, venueOrderID: venueOrderID)
    }

    public func venuePositions() async throws -> [String: Contracts]? {
        var all: [String: Contracts] = [:]
        var reported = false
        for adapter in adapters.values where !adapter.positionPlatforms.isEmpty {
            guard let positions = try await adapter.venuePositions() else { continue }
            reported = true
            all.merge(positions) { first, _ in first }
        }
        return reported ? all : nil
    }

    public var positionPlatforms: Set<Platform> { adapters.values.reduce(into: []) { $0.formUnion($1.positionPlatforms) } }

    public func absenceIsDefinitive(for order: JournalOrder) -> Bool { adapters[order.platform]?.absenceIsDefinitive(for: order) ?? false }
}
