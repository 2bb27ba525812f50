/// # KalshiVenue
///
/// The Kalshi adapter of the venue-neutral execution core: `KalshiExecutor` (V2 orders, balance pre-check,
/// fills from the private channels or polling, timeout cancel, ambiguous submits resolved by
/// `client_order_id`) and its `VenueLedger` (what reconciliation asks the venue), over `KalshiWire` and the
/// trading client. The core never imports this module; a run registers it.
public enum KalshiVenueModule {}
