import Foundation
import Markets

/// A hand-written reader for the one message that dominates the feed, `orderbook_delta`:
/// `{"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":…,"price_dollars":"0.96","delta_fp":"-54.00","side":"yes",…}}`.
/// Keys may come in any order and unknown keys are skipped. Anything unexpected — another message type,
/// an escaped string, a malformed value — returns `nil` and the general decoder takes over (and reports
/// errors precisely). It never accepts what the general decoder would reject.
enum WSFastDelta {
    static func parse(_ data: Data) -> WSInbound? {
        data.withUnsafeBytes { raw -> WSInbound? in
            var reader = Reader(bytes: raw)
            return reader.delta()
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string without escapes, as a byte range.
        mutating func string() -> Range<Int>? {
            guard expect(0x22) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 { index += 1; return start..<(index - 1) }
                if byte == 0x5C || byte < 0x20 { return nil }  // escapes and control characters: general path
                index += 1
            }
            return nil
        }

        /// A JSON number's byte range.
        mutating func number() -> Range<Int>? {
            skipSpace()
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) || bytes[index] == 0x2D || bytes[index] == 0x2E { index += 1 }
            return start < index ? start..<index : nil
        }

        /// A string or a number (fixed-point fields may arrive as either).
        mutating func scalar() -> Range<Int>? {
            skipSpace()
            guard index < bytes.count else { return nil }
            return bytes[index] == 0x22 ? string() : number()
        }

        func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }

        func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
            guard range.count == literal.utf8CodeUnitCount else { return false }
            let base = literal.utf8Start
            for offset in 0..<range.count where bytes[range.lowerBound + offset] != base[offset] { return false }
            return true
        }

        func integer(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            guard !range.isEmpty else { return nil }
            for i in range {
                let byte = bytes[i]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(byte - 0x30))
                guard !o1, !o2 else { return nil }
                value = a
            }
            return value
        }

        mutating func delta() -> WSInbound? {
            guard expect(0x7B) else { return nil }
            var isDelta = false
            var sid: Int64?
            var seq: Int64?
            var body: WSOrderbookDelta?
            repeat {
                guard let key = string(), expect(0x3A) else { return nil }
                if equals(key, "type") {
                    guard let value = string(), equals(value, "orderbook_delta") else { return nil }
                    isDelta = true
                } else if equals(key, "sid") {
                    guard let value = number(), let parsed = integer(value) else { return nil }
                    sid = parsed
                } else if equals(key, "seq") {
                    guard let value = number(), let parsed = integer(value) else { return nil }
                    seq = parsed
                } else if equals(key, "msg") {
                    guard let parsed = message() else { return nil }
                    body = parsed
                } else {
                    return nil  // unexpected top-level key: let the general decoder judge
                }
            } while expect(0x2C)
            guard expect(0x7D), isDelta, let sid, let seq, let body, let sidInt = Int(exactly: sid) else { return nil }
            skipSpace()
            guard index == bytes.count else { return nil }
            return .delta(sid: sidInt, seq: seq, body)
        }

        mutating func message() -> WSOrderbookDelta? {
            guard expect(0x7B) else { return nil }
            var ticker: String?
            var price: Price?
            var delta: Contracts?
            var side: OutcomeSide?
            var clientOrderID: String?
            var tsMs: Int64?
            repeat {
                guard let key = string(), expect(0x3A) else { return nil }
                if equals(key, "market_ticker") {
                    guard let value = string() else { return nil }
                    ticker = String(decoding: slice(value), as: UTF8.self)
                } else if equals(key, "price_dollars") {
                    guard let value = scalar(), let dollars = try? Dollars(utf8: slice(value)), let p = Price(dollars) else { return nil }
                    price = p
                } else if equals(key, "delta_fp") {
                    guard let value = scalar(), let parsed = try? Contracts(utf8: slice(value)) else { return nil }
                    delta = parsed
                } else if equals(key, "side") {
                    guard let value = string() else { return nil }
                    if equals(value, "yes") { side = .yes } else if equals(value, "no") { side = .no } else { return nil }
                } else if equals(key, "client_order_id") {
                    guard let value = string() else { return nil }
                    clientOrderID = String(decoding: slice(value), as: UTF8.self)
                } else if equals(key, "ts_ms") {
                    guard let value = number(), let parsed = integer(value) else { return nil }
                    tsMs = parsed
                } else if equals(key, "market_id") || equals(key, "ts") {
                    guard string() != nil else { return nil }
                } else if equals(key, "subaccount") {
                    guard number() != nil else { return nil }
                } else {
                    return nil
                }
            } while expect(0x2C)
            guard expect(0x7D), let ticker, let price, let delta, let side else { return nil }
            return WSOrderbookDelta(marketTicker: ticker, price: price, delta: delta, side: side, clientOrderID: clientOrderID, tsMs: tsMs)
        }
    }
}
