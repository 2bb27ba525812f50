/// The bounds every numeric field of a signal must respect: anything outside is refused with the field
/// and the value named, so no signal can carry a size or an edge that overflows the money types.
public enum SignalBounds {
    /// Most contracts one signal may ask for.
    public static let maxContracts: Int64 = 1_000_000
    /// Largest edge per contract in either direction: a binary contract pays at most $1.
    public static let maxEdgeCents: Int64 = 100
    /// Longest `signal_id` and ticker.
    public static let maxIdentifierLength = 128
}
