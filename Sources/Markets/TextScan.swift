/// A small text operation on hot input paths, done on the string's own storage: Foundation's `StringProtocol`
/// methods on Linux bridge through `NSString` (trimming one signal line cost 56 µs there).
extension String {
    /// The text without leading and trailing spaces: tab and the Unicode space separators (category Zs),
    /// the set `trimmingCharacters(in: .whitespaces)` trims.
    public var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last, Self.isSpace(first) || Self.isSpace(last) else { return self }
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, Self.isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, Self.isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
    }
}
