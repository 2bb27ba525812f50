/// Polymarket's documented request limits per 10 seconds (polymarket.md §4, Cloudflare limits): what
/// the simulator enforces and what the client paces itself below.
public enum PolyRateClass: String, Sendable, CaseIterable {
    case general, book, books, balance, balanceUpdate, apiKeys, postOrder, postOrders, deleteOrder

    public var perTenSeconds: Int {
        switch self {
        case .general: 9_000
        case .book: 1_500
        case .books: 500
        case .balance: 200
        case .balanceUpdate: 50
        case .apiKeys: 100
        case .postOrder: 3_500
        case .postOrders: 1_000
        case .deleteOrder: 3_000
        }
    }
}

/// Exact decimal text (`"0.48"`, `".48"`, `"12.5"`, `"100"`) as millionths, the venue's 6-decimal unit:
/// nothing is rounded; more than six decimals, a sign or anything else is `nil`.
public enum PolyDecimal {
    public static func micros(_ text: some StringProtocol) -> Int64? {
        // Native strings (small ones included) lend their bytes without the iterator's per-byte cost.
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ micros(utf8: $0) }) { return parsed }
        return micros(utf8: Array(text.utf8))
    }

    static func micros(utf8: some Collection<UInt8>) -> Int64? {
        var whole: Int64 = 0, fraction: Int64 = 0, fractionDigits = 0, seenDot = false, digits = 0
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "."):
                guard !seenDot else { return nil }
                seenDot = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = Int64(byte - UInt8(ascii: "0"))
                digits += 1
                if seenDot {
                    guard fractionDigits < 6 else { return nil }
                    fraction = fraction * 10 + digit
                    fractionDigits += 1
                } else {
                    let (shifted, overflow1) = whole.multipliedReportingOverflow(by: 10)
                    let (sum, overflow2) = shifted.addingReportingOverflow(digit)
                    guard !overflow1, !overflow2 else { return nil }
                    whole = sum
                }
            default:
                return nil
            }
        }
        guard digits > 0 else { return nil }
        for _ in fractionDigits..<6 { fraction *= 10 }
        let (scaled, overflow1) = whole.multipliedReportingOverflow(by: 1_000_000)
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        return overflow1 || overflow2 ? nil : total
    }
}
