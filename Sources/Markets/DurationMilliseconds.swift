extension Duration {
    /// Whole milliseconds (truncated toward zero).
    public var wholeMilliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
