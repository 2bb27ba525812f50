/// Cursor pagination as an async sequence: pages are fetched lazily as the consumer iterates, and an
/// empty or absent cursor ends the sequence. A cursor that repeats is an error, never an endless loop.
public struct Paginated<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Fetch = @Sendable (_ cursor: String?) async throws -> (elements: [Element], cursor: String?)
    private let fetch: Fetch

    public init(_ fetch: @escaping Fetch) { self.fetch = fetch }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let fetch: Fetch
        var buffer: [Element] = []
        var index = 0
        var cursor: String?
        var started = false
        var finished = false
        var seen: Set<String> = []

        public mutating func next() async throws -> Element? {
            while index >= buffer.count {
                guard !finished else { return nil }
                if started {
                    guard let cursor, !cursor.isEmpty else { finished = true; return nil }
                    guard seen.insert(cursor).inserted else {
                        finished = true
                        throw PaginationError(cursor: cursor)
                    }
                }
                started = true
                let page = try await fetch(cursor)
                buffer = page.elements
                index = 0
                cursor = page.cursor
                if page.cursor?.isEmpty ?? true, buffer.isEmpty { finished = true; return nil }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }

    /// Collects every element (use with a filter that bounds the result).
    public func collect() async throws -> [Element] {
        var all: [Element] = []
        for try await element in self { all.append(element) }
        return all
    }
}

/// The venue returned a cursor it had already returned.
public struct PaginationError: Error, Hashable, Sendable, CustomStringConvertible {
    public let cursor: String
    public var description: String { "pagination cursor \"\(cursor.prefix(40))\" repeated; stopping" }
}
