/// Exact decimal-string ⇄ scaled-integer conversion shared by `Dollars` (6 places) and `Contracts` (2).
///
/// Accepted: an optional `-` (when allowed), one or more ASCII digits, optionally `.` and one or more
/// digits. Digits beyond `scale` are accepted only when they are zeros ("0.560000000" is exact); anything
/// else (exponents, `NaN`, signs like `+`, spaces, a bare `-` or `.`) is an error naming the input.
enum FixedPointParser {
    static func parse(_ text: String, scale: Int, allowNegative: Bool, kind: String) throws(FixedPointError) -> Int64 {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(FixedPointError) -> Int64 in
                try parse(bytes: UnsafeRawBufferPointer(bytes), scale: scale, allowNegative: allowNegative, kind: kind)
            }
        }
        return try result.get()
    }

    /// The same grammar over raw UTF-8 bytes (no allocation unless the input is invalid).
    static func parse(bytes: UnsafeRawBufferPointer, scale: Int, allowNegative: Bool, kind: String) throws(FixedPointError) -> Int64 {
        func fail(_ reason: FixedPointError.Reason) -> FixedPointError {
            FixedPointError(kind: kind, input: String(decoding: bytes, as: UTF8.self), reason: reason)
        }
        guard !bytes.isEmpty else { throw fail(.empty) }

        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            guard allowNegative else { throw fail(.negativeNotAllowed) }
            negative = true
            index = 1
        }

        var value: Int64 = 0
        var integerDigits = 0
        var fractionDigits = 0
        var sawPoint = false
        var significantFraction = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                guard !sawPoint, integerDigits > 0 else {
                    throw fail(integerDigits == 0 ? .missingDigits : .unexpectedCharacter(".", offset: index))
                }
                sawPoint = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                let digit = Int64(byte - UInt8(ascii: "0"))
                if !sawPoint {
                    integerDigits += 1
                    let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
                    let (added, o2) = shifted.addingReportingOverflow(digit)
                    guard !o1, !o2 else { throw fail(.overflow) }
                    value = added
                } else {
                    fractionDigits += 1
                    if fractionDigits <= scale {
                        let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
                        let (added, o2) = shifted.addingReportingOverflow(digit)
                        guard !o1, !o2 else { throw fail(.overflow) }
                        value = added
                        significantFraction = fractionDigits
                    } else if digit != 0 {
                        throw fail(.tooManyDecimals(maximum: scale))
                    }
                }
            } else {
                let scalar = String(decoding: [byte], as: UTF8.self).first ?? "?"
                throw fail(.unexpectedCharacter(byte < 0x80 ? scalar : "?", offset: index))
            }
            index += 1
        }
        guard integerDigits > 0 else { throw fail(.missingDigits) }
        guard !sawPoint || fractionDigits > 0 else { throw fail(.missingDigits) }

        for _ in significantFraction..<scale {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { throw fail(.overflow) }
            value = shifted
        }
        return negative ? -value : value
    }

    /// Formats `value / 10^scale` with at least `minimumDecimals` places and trailing zeros trimmed beyond.
    static func format(_ value: Int64, scale: Int, minimumDecimals: Int) -> String {
        // Digits written into the string's own buffer (this runs for every order body, journal row and
        // log line; the Character-based version cost microseconds).
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<scale { divisor *= 10 }
        let whole = magnitude / divisor
        var fraction = magnitude % divisor
        var decimals = scale
        while decimals > minimumDecimals, fraction % 10 == 0 {
            fraction /= 10
            decimals -= 1
        }
        var wholeDigits = 1
        var rest = whole / 10
        while rest > 0 {
            wholeDigits += 1
            rest /= 10
        }
        let length = (value < 0 ? 1 : 0) + wholeDigits + (decimals > 0 ? 1 + decimals : 0)
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            /// `number` as exactly `count` digits (zero-padded on the left) at `index`.
            func digits(_ number: UInt64, count: Int) {
                var remaining = number
                for position in stride(from: index + count - 1, through: index, by: -1) {
                    buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                    remaining /= 10
                }
                index += count
            }
            if value < 0 {
                buffer[0] = UInt8(ascii: "-")
                index = 1
            }
            digits(whole, count: wholeDigits)
            if decimals > 0 {
                buffer[index] = UInt8(ascii: ".")
                index += 1
                digits(fraction, count: decimals)
            }
            return index
        }
    }
}
