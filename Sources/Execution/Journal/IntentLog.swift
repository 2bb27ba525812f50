import Foundation
import Markets
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The order's first durable record: one line appended to a plain file (`<journal>-intents`) before the
/// request leaves the process.
///
/// An SQLite transaction costs an order 100–250 µs on its critical path; a `write(2)` of one line costs
/// a few. Both survive a killed process the same way (the bytes are in the kernel's page cache when the
/// call returns; neither is fsynced, see `Journal`). The order's row is inserted into SQLite right after
/// the request is on its way; at start-up any intent without its row is written back as `pending`, so
/// reconciliation settles it with the venue by `client_order_id` as before. A line torn by a crash
/// mid-write belongs to an order that was never sent (the send follows the write) and is ignored.
final class IntentLog: Sendable {
    let path: String
    private let descriptor: Mutex<Int32>
    /// Rewritten empty once it grows past this and every intent in it has its row.
    static let compactionBytes: Int64 = 1 << 20

    init(path: String) throws {
        self.path = path
        try JournalFiles.ensurePrivate(path)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw JournalError("cannot open the intent log \(path): \(String(cString: strerror(errno)))") }
        descriptor = Mutex(fd)
    }

    deinit { descriptor.withLock { _ = close($0) } }

    /// Appends the order's line; returns once the kernel has it.
    func append(_ order: JournalOrder) throws {
        var line = Self.line(order)
        try line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            try descriptor.withLock { fd in
                var offset = 0
                while offset < bytes.count {
                    let written = write(fd, base + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw JournalError("intent log write failed: \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
            }
        }
    }

    /// Empties the log (every intent in it has its SQLite row).
    func truncate() throws {
        try descriptor.withLock { fd in
            guard ftruncate(fd, 0) == 0 else { throw JournalError("intent log truncate failed: \(String(cString: strerror(errno)))") }
        }
    }

    var size: Int64 {
        descriptor.withLock { fd in
            var status = stat()
            return fstat(fd, &status) == 0 ? Int64(status.st_size) : 0
        }
    }

    /// The whole, well-formed intents in the file, oldest first.
    func read() throws -> [JournalOrder] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }  // torn by a crash: never sent
        return lines.compactMap { Self.order(String($0)) }
    }

    // MARK: Line format: tab-separated, fields escaped (\\ \t \n \r), version first.

    /// `v2`: the `v1` fields, then the venue.
    static func line(_ order: JournalOrder) -> String {
        [
            "v2", escape(order.clientOrderID), escape(order.signalID ?? ""), escape(order.ticker), order.action.rawValue, order.side.rawValue,
            String(order.limitPrice.micros), String(order.requested.hundredths), escape(order.mode), String(order.createdNanoseconds),
            order.platform.rawValue,
        ].joined(separator: "\t") + "\n"
    }

    /// Reads `v2` lines and the `v1` lines of earlier versions (Kalshi orders).
    static func order(_ line: String) -> JournalOrder? {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape($0) }
        let platform: Platform? = switch (fields.first, fields.count) {
        case ("v1", 10): .kalshi
        case ("v2", 11): Platform(rawValue: fields[10])
        default: nil
        }
        guard let platform, let action = OrderAction(rawValue: fields[4]), let side = OutcomeSide(rawValue: fields[5]),
              let micros = Int64(fields[6]), let limit = Price(micros: micros), let hundredths = Int64(fields[7]),
              let created = Int64(fields[9]), !fields[1].isEmpty else { return nil }
        return JournalOrder(clientOrderID: fields[1], signalID: fields[2].isEmpty ? nil : fields[2], platform: platform, ticker: fields[3],
                            action: action, side: side, limitPrice: limit, requested: Contracts(hundredths: hundredths), mode: fields[8],
                            createdNanoseconds: created)
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
