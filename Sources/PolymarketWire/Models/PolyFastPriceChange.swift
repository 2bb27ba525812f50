import Foundation

/// A hand-written reader for the message that dominates the market channel, `price_change`:
/// `{"market":"0x…","price_changes":[{"asset_id":"…","price":"0.5","size":"200","side":"BUY","hash":"…",
/// "best_bid":"0.5","best_ask":"0.52"}],"timestamp":"…","event_type":"price_change"}`, alone or as the one
/// element of an array. Keys may come in any order and unknown keys are skipped. Anything unexpected —
/// another event, an escaped string, a malformed value — returns `nil` and the general decoder
/// (`PolyWSEvent.parse`) takes over; it never accepts what the general decoder would reject.
public struct PolyFastPriceChange: Sendable {
    /// Condition and token ids seen before, kept as strings so a frame naming them allocates nothing for
    /// them (bounded: cleared past `capacity`).
    private var interned: [UInt64: String] = [:]
    private let capacity = 20_000

    public init() {}

    /// Reads one frame, reusing the strings of ids seen before.
    public mutating func parse(_ data: Data) -> PolyWSPriceChange? {
        if interned.count > capacity { interned.removeAll(keepingCapacity: true) }
        // Moved into the reader and back (swapped, never shared), so inserting never copies the table.
        return data.withUnsafeBytes { raw -> PolyWSPriceChange? in
            var reader = Reader(bytes: raw, interned: [:])
            swap(&reader.interned, &interned)
            defer { swap(&reader.interned, &interned) }
            return reader.frame()
        }
    }

    /// Reads one frame without a cache.
    public static func parse(_ data: Data) -> PolyWSPriceChange? {
        var reader = PolyFastPriceChange()
        return reader.parse(data)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        var interned: [UInt64: String]

        init(bytes: UnsafeRawBufferPointer, interned: [UInt64: String]) {
            self.bytes = bytes
            self.interned = interned
        }

        /// A string value that names an id: the interned copy when these bytes were seen before.
        mutating func id() -> String? {
            guard let range = key() else { return nil }
            // FNV-1a's step over 8-byte words (ids are long: 66-character condition ids, 77-digit token ids).
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            var offset = range.lowerBound
            if let base = bytes.baseAddress {
                while offset + 8 <= range.upperBound {
                    hash = (hash ^ UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* 0x0000_0100_0000_01B3
                    offset += 8
                }
            }
            while offset < range.upperBound {
                hash = (hash ^ UInt64(bytes[offset])) &* 0x0000_0100_0000_01B3
                offset += 1
            }
            if let known = interned[hash], known.utf8.count == range.count, same(known, range) { return known }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            interned[hash] = text
            return text
        }

        /// Whether `text` is the bytes in `range` (compared in place: native strings are contiguous UTF-8).
        func same(_ text: String, _ range: Range<Int>) -> Bool {
            let compared = text.utf8.withContiguousStorageIfAvailable { stored -> Bool in
                guard let base = bytes.baseAddress, let storedBase = stored.baseAddress else { return stored.isEmpty }
                return memcmp(storedBase, base + range.lowerBound, range.count) == 0
            }
            return compared ?? text.utf8.elementsEqual(UnsafeRawBufferPointer(rebasing: bytes[range]))
        }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func peek() -> UInt8? {
            skipSpace()
            return index < bytes.count ? bytes[index] : nil
        }

        mutating func expect(_ byte: UInt8) -> Bool {
            guard peek() == byte else { return false }
            index += 1
            return true
        }

        /// A string without escapes.
        mutating func string() -> String? {
            guard let range = key() else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }

        /// A key's byte range (a string without escapes), without making a `String` of it.
        mutating func key() -> Range<Int>? {
            guard expect(0x22) else { return nil }
            let start = index
            let end = Self.stop(bytes, from: start)
            // The closing quote, not an escape, a control character or the end of the frame.
            guard end < bytes.count, bytes[end] == 0x22 else { return nil }
            index = end + 1
            return start..<end
        }

        /// The first byte at or after `start` that ends or breaks a plain string (`"`, `\`, or below
        /// 0x20), or `bytes.count`: eight bytes at a time (the classic "has a zero byte" word tests; the
        /// lowest flagged byte is always exact).
        static func stop(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
            var offset = start
            if let base = bytes.baseAddress {
                let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                while offset + 8 <= bytes.count {
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                    let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                    let hits = (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)) & highs
                    if hits != 0 { return offset + hits.trailingZeroBitCount / 8 }
                    offset += 8
                }
            }
            while offset < bytes.count {
                let byte = bytes[offset]
                if byte == 0x22 || byte == 0x5C || byte < 0x20 { return offset }
                offset += 1
            }
            return offset
        }

        /// A side: the two the venue sends as constant strings (nothing decoded), anything else as read.
        mutating func side() -> String? {
            guard let range = key() else { return nil }
            if equals(range, "BUY") { return "BUY" }
            if equals(range, "SELL") { return "SELL" }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }

        /// Whether the bytes in `range` are exactly `name`.
        func equals(_ range: Range<Int>, _ name: StaticString) -> Bool {
            guard range.count == name.utf8CodeUnitCount else { return false }
            let expected = name.utf8Start
            for offset in 0..<range.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
            return true
        }

        /// Skips a string, number, literal, object or array (no escapes inside strings).
        mutating func skipValue(depth: Int = 0) -> Bool {
            guard depth < 16, let first = peek() else { return false }
            switch first {
            case 0x22: return string() != nil
            case 0x7B, 0x5B:
                let close: UInt8 = first == 0x7B ? 0x7D : 0x5D
                index += 1
                if expect(close) { return true }
                while true {
                    if first == 0x7B {
                        guard key() != nil, expect(0x3A) else { return false }
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    if expect(0x2C) { continue }
                    return expect(close)
                }
            default:
                let start = index
                while index < bytes.count, !(bytes[index] == 0x2C || bytes[index] == 0x7D || bytes[index] == 0x5D || bytes[index] == 0x20) { index += 1 }
                return index > start
            }
        }

        mutating func frame() -> PolyWSPriceChange? {
            if peek() == 0x5B {
                index += 1
                guard let event = event(), expect(0x5D), peek() == nil else { return nil }
                return event
            }
            guard let event = event(), peek() == nil else { return nil }
            return event
        }

        mutating func event() -> PolyWSPriceChange? {
            guard expect(0x7B) else { return nil }
            var market: String?, timestamp: String?, isPriceChange = false, changes: [PolyPriceChange]?
            if expect(0x7D) { return nil }
            while true {
                guard let key = key(), expect(0x3A) else { return nil }
                if equals(key, "market") { market = id() }
                else if equals(key, "timestamp") { timestamp = string() }
                else if equals(key, "event_type") {
                    // Compared in place: no string is made of the type.
                    guard let value = self.key() else { return nil }
                    isPriceChange = equals(value, "price_change")
                }
                else if equals(key, "price_changes") { changes = changeList() }
                else { guard skipValue() else { return nil } }
                if expect(0x2C) { continue }
                guard expect(0x7D) else { return nil }
                break
            }
            guard isPriceChange, let market, let timestamp, let changes else { return nil }
            return PolyWSPriceChange(market: market, priceChanges: changes, timestamp: timestamp)
        }

        mutating func changeList() -> [PolyPriceChange]? {
            guard expect(0x5B) else { return nil }
            var out: [PolyPriceChange] = []
            if expect(0x5D) { return out }
            while true {
                guard let change = change() else { return nil }
                out.append(change)
                if expect(0x2C) { continue }
                return expect(0x5D) ? out : nil
            }
        }

        mutating func change() -> PolyPriceChange? {
            guard expect(0x7B) else { return nil }
            var asset: String?, price: String?, size: String?, side: String?, hash: String?, bestBid: String?, bestAsk: String?
            if expect(0x7D) { return nil }
            while true {
                guard let key = key(), expect(0x3A) else { return nil }
                // Dispatched on length and a distinguishing byte, then checked whole.
                let third = key.count > 2 ? bytes[key.lowerBound + 2] : 0
                switch key.count {
                case 8 where third == 0x73 && equals(key, "asset_id"): asset = id()
                case 8 where third == 0x73 && equals(key, "best_bid"): bestBid = string()
                case 8 where third == 0x73 && equals(key, "best_ask"): bestAsk = string()
                case 5 where equals(key, "price"): price = string()
                case 4 where third == 0x7A && equals(key, "size"): size = string()
                case 4 where third == 0x64 && equals(key, "side"): side = self.side()
                case 4 where third == 0x73 && equals(key, "hash"): hash = string()
                default: guard skipValue() else { return nil }
                }
                if expect(0x2C) { continue }
                guard expect(0x7D) else { return nil }
                break
            }
            guard let asset, let price, let size, let side else { return nil }
            return PolyPriceChange(assetID: asset, price: price, size: size, side: side, hash: hash, bestBid: bestBid, bestAsk: bestAsk)
        }
    }
}
