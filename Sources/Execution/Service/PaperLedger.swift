import Markets

extension PaperExecutor: VenueLedger {
    /// Paper orders live in this process only: one the journal saw sent did not survive the restart
    /// (cancelled, with the fills the journal already holds); one never sent is unknown.
    public func venueOrder(for order: JournalOrder) async throws -> VenueOrderRecord? {
        guard order.state != .pending else { return nil }
        return VenueOrderRecord(venueOrderID: order.venueOrderID ?? "paper-" + order.clientOrderID, status: .canceled, filled: order.filled, fills: [])
    }

    public func cancelStale(_ order: JournalOrder, venueOrderID: String) async throws {}

    /// The paper venue is this process: an order it does not hold never reached it.
    public nonisolated func absenceIsDefinitive(for order: JournalOrder) -> Bool { true }

    public func listedOrders(excluding isKnown: @Sendable (String) -> Bool) async throws -> [VenueListedOrder] { [] }

    /// The journal is the paper account's record.
    public func venuePositions() async throws -> [String: Contracts]? { nil }

    public nonisolated var positionPlatforms: Set<Platform> { [] }
}
