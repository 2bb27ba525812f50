/// # KalshiWire
///
/// What the data client, the trading client and the exchange simulator share about talking to Kalshi,
/// written once: API credentials that never print their secrets (`KalshiKeyID`, `KalshiPrivateKey`),
/// the RSA-PSS request signer and its verifier, and the venue's known hosts (`KalshiHosts`), so that a
/// paper configuration can refuse a production trading URL. The HTTP/WebSocket transport, rate limiter
/// and wire models join this module with the REST client.
public enum KalshiWireModule {}
