import Foundation

/// A hand-written reader for the message that dominates the market channel, `price_change`:
/// `{"market":"0x…","price_changes":[{"asset_id":"…","price":"0.5","size":"200","side":"BUY","hash":"…",
/// "best_bid":"0.5","best_ask":"0.52"}],"timestamp":"…","event_type":"price_change"}`, alone or as the one
/// element of an array. Keys may come in any order and unknown keys are skipped. Anything unexpected —
/// another event, an escaped string, a malformed value — returns `nil` and the general decoder
/// (`PolyWSEvent.parse`) takes over; it never accepts what the general decoder would reject.
public enum PolyFastPriceChange {
    public static func parse(_ data: Data) -> PolyWSPriceChange? {
        data.withUnsafeBytes { raw -> PolyWSPriceChange? in
            var reader = Reader(bytes: raw)
            return reader.frame()
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

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
            guard expect(0x22) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x22 {
                    index += 1
                    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)]), as: UTF8.self)
                }
                if byte == 0x5C || byte < 0x20 { return nil }
                index += 1
            }
            return nil
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
                        guard string() != nil, expect(0x3A) else { return false }
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
            var market: String?, timestamp: String?, type: String?, changes: [PolyPriceChange]?
            if expect(0x7D) { return nil }
            while true {
                guard let key = string(), expect(0x3A) else { return nil }
                switch key {
                case "market": market = string()
                case "timestamp": timestamp = string()
                case "event_type": type = string()
                case "price_changes": changes = changeList()
                default: guard skipValue() else { return nil }
                }
                if expect(0x2C) { continue }
                guard expect(0x7D) else { return nil }
                break
            }
            guard type == "price_change", let market, let timestamp, let changes else { return nil }
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
                guard let key = string(), expect(0x3A) else { return nil }
                switch key {
                case "asset_id": asset = string()
                case "price": price = string()
                case "size": size = string()
                case "side": side = string()
                case "hash": hash = string()
                case "best_bid": bestBid = string()
                case "best_ask": bestAsk = string()
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
