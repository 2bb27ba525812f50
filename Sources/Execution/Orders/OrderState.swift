/// The life of an order (DESIGN.md §3):
/// pending → submitted → (resting | partially filled | filled | canceled | rejected | expired).
///
/// An ambiguous submit (transport error, timeout or 5xx after sending) stays `submitted` until the venue
/// tells us otherwise. `canceled → filled` and `expired → filled` are legal: a fill can race a cancel.
public enum OrderState: String, Hashable, Sendable, CaseIterable, Codable {
    /// Journaled, not yet sent.
    case pending
    /// Sent; the venue's answer is not known yet (or was ambiguous).
    case submitted
    /// Accepted and resting on the book, nothing filled.
    case resting
    case partiallyFilled = "partially_filled"
    case filled
    case canceled
    /// Definitively refused by the venue (or before sending).
    case rejected
    case expired
    /// Never reached the venue: it had no such order for the whole absent window after an ambiguous
    /// submit (or a crash before sending). Not a venue rejection: nobody refused it.
    case notPlaced = "not_placed"

    /// No further change expected (though a late fill may still move canceled/expired to filled).
    public var isTerminal: Bool {
        switch self {
        case .filled, .canceled, .rejected, .expired, .notPlaced: true
        case .pending, .submitted, .resting, .partiallyFilled: false
        }
    }

    /// Whether `self → next` is a legal transition.
    public func allows(_ next: OrderState) -> Bool {
        switch (self, next) {
        case (.pending, .submitted), (.pending, .rejected), (.pending, .canceled), (.pending, .notPlaced), (.submitted, .notPlaced):
            true
        case (.submitted, .submitted), (.submitted, .resting), (.submitted, .partiallyFilled), (.submitted, .filled),
             (.submitted, .canceled), (.submitted, .rejected), (.submitted, .expired):
            true
        case (.resting, .partiallyFilled), (.resting, .filled), (.resting, .canceled), (.resting, .expired):
            true
        case (.partiallyFilled, .partiallyFilled), (.partiallyFilled, .filled), (.partiallyFilled, .canceled),
             (.partiallyFilled, .expired):
            true
        // A fill racing a cancel or an expiry.
        case (.canceled, .canceled), (.canceled, .filled), (.expired, .expired), (.expired, .filled):
            true
        default:
            false
        }
    }
}
