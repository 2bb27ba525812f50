import Foundation
import Markets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A record kept as one line of an append-only file beside the journal.
protocol LogLine {
    /// The record's line, newline included.
    var logLine: String { get }
    /// The record of a whole line (without its newline); nil when it is not one of this kind.
    init?(logLine: Substring)
}

/// Records appended to a plain file beside the journal, each one line, before the journal's SQLite
/// row exists: the order's intent (`<journal>-intents`, written before the request leaves the process)
/// and the accepted signal (`<journal>-signals`, written before the signal is acknowledged).
///
/// An SQLite transaction costs 100–250 µs on the critical path; a `write(2)` of one line costs a few.
/// Both survive a killed process the same way (the bytes are in the kernel's page cache when the call
/// returns; neither is fsynced, see `Journal`). The row is inserted into SQLite afterwards, off the
/// critical path; at start-up any line without its row is written back. A line torn by a crash
/// mid-write was never acted on (the send, or the acknowledgement, follows the write) and is ignored.
final class RecordLog<Record: LogLine>: Sendable {
    let path: String
    private let descriptor: Mutex<Int32>
    /// Rewritten empty once it grows past this and every record in it has its row.
    static var compactionBytes: Int64 { 1 << 20 }

    init(path: String) throws {
        self.path = path
        try JournalFiles.ensurePrivate(path)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw JournalError("cannot open \(path): \(String(cString: strerror(errno)))") }
        descriptor = Mutex(fd)
    }

    deinit { descriptor.withLock { _ = close($0) } }

    /// Appends the record's line; returns once the kernel has it.
    func append(_ record: Record) throws {
        var line = record.logLine
        try line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            try descriptor.withLock { fd in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fd, base + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw JournalError("\(path): write failed: \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
            }
        }
    }

    /// Empties the log (every record in it has its SQLite row).
    func truncate() throws {
        try descriptor.withLock { fd in
            guard ftruncate(fd, 0) == 0 else { throw JournalError("\(path): truncate failed: \(String(cString: strerror(errno)))") }
        }
    }

    var size: Int64 {
        descriptor.withLock { fd in
            var status = stat()
            return fstat(fd, &status) == 0 ? Int64(status.st_size) : 0
        }
    }

    /// The whole, well-formed records in the file, oldest first.
    func read() throws -> [Record] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }  // torn by a crash: never acted on
        return lines.compactMap { Record(logLine: $0) }
    }
}

/// The order's intent line (`<journal>-intents`).
extension JournalOrder: LogLine {
    /// `v2`: the `v1` fields, then the venue.
    var logLine: String {
        LogFields.line([
            "v2", clientOrderID, signalID ?? "", ticker, action.rawValue, side.rawValue, String(limitPrice.micros), String(requested.hundredths),
            mode, String(createdNanoseconds), platform.rawValue,
        ])
    }

    /// Reads `v2` lines and the `v1` lines of earlier versions (Kalshi orders).
    init?(logLine line: Substring) {
        let fields = LogFields.fields(line)
        let platform: Platform? = switch (fields.first, fields.count) {
        case ("v1", 10): .kalshi
        case ("v2", 11): Platform(rawValue: fields[10])
        default: nil
        }
        guard let platform, let action = OrderAction(rawValue: fields[4]), let side = OutcomeSide(rawValue: fields[5]),
              let micros = Int64(fields[6]), let limit = Price(micros: micros), let hundredths = Int64(fields[7]),
              let created = Int64(fields[9]), !fields[1].isEmpty else { return nil }
        self.init(clientOrderID: fields[1], signalID: fields[2].isEmpty ? nil : fields[2], platform: platform, ticker: fields[3],
                  action: action, side: side, limitPrice: limit, requested: Contracts(hundredths: hundredths), mode: fields[8],
                  createdNanoseconds: created)
    }
}

/// The accepted signal's line (`<journal>-signals`).
extension Journal.AcceptedSignal: LogLine {
    /// `s1`, id, arrival (wall ns), should-trade (0/1), status, the signal's own line.
    var logLine: String {
        LogFields.line(["s1", id, String(receivedNanoseconds), shouldTrade ? "1" : "0", status, payload])
    }

    init?(logLine line: Substring) {
        let fields = LogFields.fields(line)
        guard fields.count == 6, fields[0] == "s1", !fields[1].isEmpty, let received = Int64(fields[2]), fields[3] == "0" || fields[3] == "1",
              !fields[4].isEmpty else { return nil }
        self.init(id: fields[1], receivedNanoseconds: received, payload: fields[5], shouldTrade: fields[3] == "1", status: fields[4])
    }
}

/// The fields of a log line: tab-separated, each escaped (\\ \t \n \r), so a line holds any text.
enum LogFields {
    static func line(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: "\t") + "\n"
    }

    static func fields(_ line: Substring) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape($0) }
    }

    /// Scalar by scalar (a "\r\n" pair is one `Character`).
    static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    static func unescape(_ text: Substring) -> String {
        guard text.unicodeScalars.contains("\\") else { return String(text) }
        var out = String.UnicodeScalarView()
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped {
                switch scalar {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(scalar)
                }
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}

/// A journal file problem, naming the file and the cause.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
