extension StringProtocol {
    /// A value from outside quoted for an error message: at most 64 characters (then `…`), control
    /// characters escaped.
    public var quotedForMessage: String {
        "\"" + (count > 64 ? String(prefix(64)) + "…" : String(self)).escapingControlCharacters + "\""
    }

    /// The text with every control character written out (`\n`, `\r`, `\t`, `\u{1B}`…), so a value from
    /// outside (a signal id, a ticker, a venue message) can neither start a forged log line nor send
    /// terminal escape sequences. Printable text, including non-ASCII, is unchanged.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return String(self) }
        var out = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            case _ where Self.needsEscape(scalar):
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}

extension StringProtocol {
    /// The text safe inside HTML element content and double-quoted attributes.
    public var htmlEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for character in self {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Whether `self` equals `other`, in time that depends only on the lengths (secrets, tokens, proofs).
    public func equalsInConstantTime(_ other: some StringProtocol) -> Bool {
        let a = Array(utf8), b = Array(other.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
