/// # PolymarketWire
///
/// Polymarket CLOB V2 on the wire, with no network: Keccak-256 (Ethereum's, not SHA-3), EIP-712 hashing of
/// the 11-field V2 `Order` and of `ClobAuth`, recoverable secp256k1 signatures through the system
/// libsecp256k1 (`v = recid + 27`), EIP-55 addresses, the exchange a token trades on (CTF or neg-risk), the
/// order amounts exactly as the official client computes them per tick size, the server's precision and
/// tick rules (an order it would reject is refused before it is signed, with its reason), the `POST /order`
/// body byte for byte, and the L1 (ClobAuth) and L2 (HMAC over the exact body) headers.
///
/// Shared by the Polymarket client, the Polymarket simulator (which recovers signers from signatures) and
/// `run-executor poly sign-order`.
public enum PolymarketWireModule {}
