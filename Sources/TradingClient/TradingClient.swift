/// # TradingClient
///
/// Order entry and account state on the trading venue (the Kalshi demo account, or production when
/// live): V2 orders under `/portfolio/events/orders`, fills, positions, balance and the private WebSocket
/// channels. Every order passes `OrderRequestBuilder` first, which refuses — before any byte is sent — an
/// off-grid price, a count ≤ 0, and a production host when the run is not live.
public enum TradingClientModule {}
