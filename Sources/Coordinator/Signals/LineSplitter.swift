/// One line of a JSON-lines stream, numbered from 1, or a line that was too long to keep.
public enum SignalLine: Sendable, Hashable {
    case text(number: Int, String)
    /// Longer than the maximum: its bytes were skipped up to the next newline.
    case tooLong(number: Int, bytes: Int)

    public var number: Int {
        switch self {
        case let .text(number, _), let .tooLong(number, _): number
        }
    }
}

/// Splits a byte stream into numbered lines in linear time, keeping at most `maxLineBytes` of a line.
///
/// Bytes are scanned once; a partial line waits for the next chunk. A line longer than the maximum is
/// not kept (its bytes are counted and dropped as they arrive) and is reported as `tooLong` with its
/// number, so one giant line neither stalls the stream nor holds the lines behind it. `\r\n` endings
/// are accepted.
public struct LineSplitter: Sendable {
    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    private var overlongBytes: Int?
    private var lineNumber = 0

    public init(maxLineBytes: Int = 65_536) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// The complete lines `chunk` finishes, in order.
    public mutating func feed(_ chunk: some Collection<UInt8>) -> [SignalLine] {
        var lines: [SignalLine] = []
        var start = chunk.startIndex
        while start != chunk.endIndex {
            let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? chunk.endIndex
            keep(chunk[start..<end])
            guard let newline else { break }
            lines.append(endLine())
            start = chunk.index(after: newline)
        }
        return lines
    }

    /// The last line when the stream ends without a newline.
    public mutating func finish() -> [SignalLine] {
        guard !partial.isEmpty || overlongBytes != nil else { return [] }
        return [endLine()]
    }

    private mutating func keep(_ bytes: some Collection<UInt8>) {
        if let skipped = overlongBytes {
            overlongBytes = skipped + bytes.count
        } else if partial.count + bytes.count > maxLineBytes {
            overlongBytes = partial.count + bytes.count
            partial.removeAll(keepingCapacity: true)
        } else {
            partial.append(contentsOf: bytes)
        }
    }

    private mutating func endLine() -> SignalLine {
        lineNumber += 1
        defer {
            partial.removeAll(keepingCapacity: true)
            overlongBytes = nil
        }
        if let skipped = overlongBytes { return .tooLong(number: lineNumber, bytes: skipped) }
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        return .text(number: lineNumber, String(decoding: partial, as: UTF8.self))
    }
}
