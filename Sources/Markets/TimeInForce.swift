/// How long an order may work: a venue-neutral vocabulary (each venue adapter maps it onto its wire:
/// Kalshi's `time_in_force` strings, which these raw values are, and Polymarket's `FAK`/`FOK`/`GTC`).
public enum TimeInForce: String, Hashable, Sendable, Codable, CaseIterable {
    /// Fill entirely now or cancel entirely (Polymarket `FOK`).
    case fillOrKill = "fill_or_kill"
    /// Rest on the book until filled or cancelled (Polymarket `GTC`).
    case goodTillCanceled = "good_till_canceled"
    /// Fill what is available now, cancel the rest (Polymarket `FAK`).
    case immediateOrCancel = "immediate_or_cancel"
}
