import DequeModule

/// The send times of the orders of the last minute, for `MAX_ORDERS_PER_MINUTE`: kept in time order, so
/// counting those inside the window is a binary search and dropping those a minute old takes them off
/// the front.
///
/// The breaker used to keep every send time in an array trimmed only to the limit's length and count the
/// window by scanning it on every check: with a high limit (up to 1,000,000) the array only ever grew, and
/// each check, and each trial copy an arbitrage's sizing makes, paid for all of it.
struct OrderWindow: Sendable {
    static let lengthMs: Int64 = 60_000

    /// Non-decreasing: a time earlier than the last (the wall clock stepped back) is inserted in order,
    /// so the count stays exact.
    private var times = Deque<Int64>()

    /// Orders sent after `nowMs - lengthMs` (an order a minute old or more no longer counts).
    func count(nowMs: Int64) -> Int {
        times.count - Self.firstIndex(in: times, after: nowMs - Self.lengthMs)
    }

    /// Send times held (for tests: only the last minute's, at most `limit`).
    var stored: Int { times.count }

    /// Records an order sent at `nowMs`; forgets the times a minute old, and beyond `limit` the oldest (no
    /// more are ever needed to tell whether the limit is reached).
    mutating func record(nowMs: Int64, limit: Int) {
        if let last = times.last, nowMs < last {
            times.insert(nowMs, at: Self.firstIndex(in: times, after: nowMs))
        } else {
            times.append(nowMs)
        }
        let windowStart = nowMs - Self.lengthMs
        while let first = times.first, first <= windowStart { times.removeFirst() }
        let excess = times.count - max(limit, 1)
        if excess > 0 { times.removeFirst(excess) }
    }

    /// The index of the first time later than `time` (`times.count` if none).
    private static func firstIndex(in times: Deque<Int64>, after time: Int64) -> Int {
        var low = 0, high = times.count
        while low < high {
            let middle = low + (high - low) / 2
            if times[middle] > time { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
