import DequeModule

/// A venue executor's private-channel events for orders it is not tracking: kept for an order whose create
/// answer has not arrived yet (the socket can be faster than REST) until the executor takes them, dropped
/// for an order it finished lately (a late frame of an outcome already settled).
///
/// Events for `capacity` orders at most are kept; past that the orders heard of first are dropped (events
/// for orders placed elsewhere on the account are never taken). Every late frame of the executor's own
/// orders used to be kept too, and the whole buffer was emptied at 1,000 orders (every half second at
/// 2,000 orders/s), taking with it the early fills of orders still in flight (which then cost a REST read).
public struct EarlyEvents<Event: Sendable>: Sendable {
    public let capacity: Int
    private var events: [String: [Event]] = [:]
    /// Order ids in the order they were first kept (ids taken since are skipped when dropping).
    private var heard = Deque<String>()
    private var finished = Set<String>()
    /// `finished` in the order the orders finished, to forget the oldest.
    private var finishedOrder = Deque<String>()
    private let finishedCapacity: Int

    public init(capacity: Int = 1_000, finishedCapacity: Int = 8_192) {
        self.capacity = max(1, capacity)
        self.finishedCapacity = max(1, finishedCapacity)
    }

    /// Orders with events kept.
    public var count: Int { events.count }

    /// Keeps `event` for `orderID` (not tracked by the executor), unless that order was finished.
    public mutating func keep(_ event: Event, for orderID: String) {
        guard !finished.contains(orderID) else { return }
        if events[orderID] == nil {
            heard.append(orderID)
            while events.count >= capacity, let oldest = heard.popFirst() { events[oldest] = nil }
        }
        events[orderID, default: []].append(event)
        // Ids taken linger in `heard`; keep it within twice the capacity.
        if heard.count > 2 * capacity { heard = Deque(heard.filter { events[$0] != nil }) }
    }

    /// The events kept for `orderID`, oldest first (the executor now tracks it).
    public mutating func take(_ orderID: String) -> [Event] {
        events.removeValue(forKey: orderID) ?? []
    }

    /// `orderID` is done: its events arriving from now on are dropped (the last `finishedCapacity` orders
    /// are remembered).
    public mutating func finish(_ orderID: String) {
        events[orderID] = nil
        guard finished.insert(orderID).inserted else { return }
        finishedOrder.append(orderID)
        if finishedOrder.count > finishedCapacity, let oldest = finishedOrder.popFirst() { finished.remove(oldest) }
    }
}
