import Foundation
import Markets

/// One line of the effective-configuration report.
public struct EffectiveSetting: Hashable, Sendable {
    public let variable: String
    /// The value as shown: secrets redacted, key ids shortened, `(unset)` where nothing applies.
    public let display: String
    public let origin: ConfigOrigin
}

/// Reads typed values out of the raw variables, collecting a problem for each bad one instead of
/// stopping at the first, and recording what was used for the report.
struct VariableReader {
    let environment: ConfigEnvironment
    private(set) var problems: [ConfigProblem] = []
    private(set) var settings: [EffectiveSetting] = []

    init(_ environment: ConfigEnvironment) { self.environment = environment }

    mutating func problem(_ variable: String, _ message: String) {
        problems.append(ConfigProblem(variable: variable, message: message))
    }

    /// The raw value, `nil` when unset or blank (an empty `KEY=` in an example file means "not given").
    func raw(_ name: String) -> String? {
        guard let value = environment.values[name] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    func isSet(_ name: String) -> Bool { raw(name) != nil }

    /// Records what a variable resolved to. `display` is checked once more: nothing that looks like key
    /// material is ever shown.
    mutating func record(_ name: String, _ display: String) {
        let display = Self.displayable(display)
        let origin = isSet(name) ? environment.origins[name] ?? .processEnvironment : .defaultValue
        settings.removeAll { $0.variable == name }
        settings.append(EffectiveSetting(variable: name, display: display, origin: origin))
    }

    /// A secret given in `inline` or as the path of a file in `file`, never both: both recorded (the inline
    /// value redacted); a file readable by others is a warning; a `file` value that looks like the secret
    /// itself is refused without showing it. The text and the variable it came from, or `nil`.
    mutating func secret(inline: String, file: String, warnings: inout [String]) -> (text: String, variable: String)? {
        let value = raw(inline), path = raw(file)
        record(inline, value == nil ? "(unset)" : "(set, redacted)")
        record(file, path.map { Self.displayable($0) } ?? "(unset)")
        if value != nil, path != nil {
            problem(inline, "set either \(inline) or \(file), not both")
            return nil
        }
        if let value { return (value, inline) }
        guard let path else { return nil }
        if Self.looksLikeKeyMaterial(path) {
            problem(file, "holds what looks like the key itself, not a file path (not shown); put the key in \(inline) or its file's path here")
            return nil
        }
        let shown = path.escapingControlCharacters
        let expanded = (path as NSString).expandingTildeInPath
        guard let data = FileManager.default.contents(atPath: expanded), let text = String(data: data, encoding: .utf8) else {
            problem(file, "\(shown): no such file, or not readable text")
            return nil
        }
        if let permissions = (try? FileManager.default.attributesOfItem(atPath: expanded))?[.posixPermissions] as? Int, permissions & 0o077 != 0 {
            warnings.append("\(file): \(shown) is readable by other users (mode \(String(permissions, radix: 8))); chmod 600 it")
        }
        return (text, file)
    }

    /// A quoted, shortened rendering of a non-secret bad value for an error message. A value that looks
    /// like key material (pasted into the wrong variable) is never echoed.
    static func quoted(_ value: String) -> String {
        if looksLikeKeyMaterial(value) { return keyMaterialNotice }
        return "\"" + (value.count > 80 ? String(value.prefix(80)) + "…" : value).escapingControlCharacters + "\""
    }

    static let keyMaterialNotice = "(a value that looks like key material; not shown)"

    /// PEM armour, a line break, a long run of base64, or 32 bytes of hex (an Ethereum key): what a
    /// path, URL or number never looks like.
    static func looksLikeKeyMaterial(_ value: String) -> Bool {
        if value.contains("-----BEGIN") || value.contains("-----END") || value.contains("PRIVATE KEY") || value.contains("\n") { return true }
        let body = value.hasPrefix("0x") || value.hasPrefix("0X") ? value.dropFirst(2) : Substring(value)
        if body.utf8.count == 64, body.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 70) || ($0 >= 97 && $0 <= 102) }) { return true }
        let base64 = value.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 43 || $0 == 47 || $0 == 61 }
        return base64 && value.utf8.count >= 100
    }

    /// `value` as the effective-configuration report may show it.
    static func displayable(_ value: String) -> String {
        looksLikeKeyMaterial(value) ? keyMaterialNotice : value.escapingControlCharacters
    }

    mutating func string(_ name: String) -> String? {
        let value = raw(name)
        record(name, value ?? "(unset)")
        return value
    }

    mutating func bool(_ name: String, default fallback: Bool) -> Bool {
        guard let value = raw(name) else { record(name, String(fallback)); return fallback }
        let parsed: Bool? = switch value.lowercased() {
        case "true", "1", "yes", "on": true
        case "false", "0", "no", "off": false
        default: nil
        }
        guard let parsed else {
            problem(name, "\(Self.quoted(value)) is not a boolean (use true or false)")
            return fallback
        }
        record(name, String(parsed))
        return parsed
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) -> T where T.RawValue == String {
        guard let value = raw(name) else { record(name, fallback.rawValue); return fallback }
        guard let parsed = T(rawValue: value.lowercased()) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            problem(name, "\(Self.quoted(value)) is not one of: \(allowed)")
            return fallback
        }
        record(name, parsed.rawValue)
        return parsed
    }

    /// A whole number in `range`.
    mutating func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>, unit: String = "") -> Int {
        guard let value = raw(name) else { record(name, "\(fallback)\(unit)"); return fallback }
        guard let parsed = Int(value) else {
            problem(name, "\(Self.quoted(value)) is not a whole number")
            return fallback
        }
        guard range.contains(parsed) else {
            let bound = parsed < range.lowerBound ? "at least \(range.lowerBound)" : "at most \(range.upperBound)"
            problem(name, "\(parsed) is out of range: must be \(bound)\(parsed < 0 && range.lowerBound >= 0 ? " (negative limits are not allowed)" : "")")
            return fallback
        }
        record(name, "\(parsed)\(unit)")
        return parsed
    }

    /// Milliseconds as one value ("20") or an inclusive range ("10-50"), each in `range`.
    mutating func millisecondRange(_ name: String, default fallback: ClosedRange<Int>, range: ClosedRange<Int>) -> ClosedRange<Duration> {
        func durations(_ bounds: ClosedRange<Int>) -> ClosedRange<Duration> { .milliseconds(bounds.lowerBound) ... .milliseconds(bounds.upperBound) }
        guard let value = raw(name) else { record(name, "\(fallback.lowerBound)-\(fallback.upperBound) ms"); return durations(fallback) }
        let parts = value.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let low = parts.first ?? nil, let high = parts.last ?? nil else {
            problem(name, "\(Self.quoted(value)) is not milliseconds (\"20\") or a range of milliseconds (\"10-50\")")
            return durations(fallback)
        }
        guard range.contains(low), range.contains(high), low <= high else {
            problem(name, "\(Self.quoted(value)) is out of range: each bound \(range.lowerBound)…\(range.upperBound) ms, the first not above the second")
            return durations(fallback)
        }
        record(name, "\(low)-\(high) ms")
        return durations(low...high)
    }

    mutating func unsigned64(_ name: String) -> UInt64? {
        guard let value = raw(name) else { record(name, "(random, logged at start)"); return nil }
        guard let parsed = UInt64(value) else {
            problem(name, "\(Self.quoted(value)) is not a non-negative whole number")
            return nil
        }
        record(name, String(parsed))
        return parsed
    }

    /// A non-negative number of contracts ("100", "12.50").
    mutating func contracts(_ name: String, default fallback: Contracts) -> Contracts {
        nonNegative(name, default: fallback, what: "a number of contracts", display: \.wireString,
                    isNegative: { $0.hundredths < 0 }, parse: { text throws(FixedPointError) in try Contracts(parsing: text) })
    }

    /// A non-negative dollar amount ("500", "1000.00", "$75").
    mutating func dollars(_ name: String, default fallback: Dollars) -> Dollars {
        nonNegative(name, default: fallback, what: "a dollar amount", display: \.description, isNegative: { $0.micros < 0 }) {
            text throws(FixedPointError) in try Dollars(parsing: text.hasPrefix("$") ? String(text.dropFirst()) : text)
        }
    }

    /// Reads one exact fixed-point limit, reporting a malformed or negative value against `name`.
    private mutating func nonNegative<T>(
        _ name: String, default fallback: T, what: String, display: (T) -> String, isNegative: (T) -> Bool,
        parse: (String) throws(FixedPointError) -> T
    ) -> T {
        guard let value = raw(name) else { record(name, display(fallback)); return fallback }
        do {
            let parsed = try parse(value)
            guard !isNegative(parsed) else {
                problem(name, "\(value) is negative (negative limits are not allowed)")
                return fallback
            }
            record(name, display(parsed))
            return parsed
        } catch {
            problem(name, "\(Self.quoted(value)) is not \(what) (\(error.reason))")
            return fallback
        }
    }

    /// A URL with one of `schemes` and a host.
    mutating func url(_ name: String, schemes: Set<String>, default fallback: URL?) -> URL? {
        guard let value = raw(name) else {
            record(name, fallback?.absoluteString ?? "(unset)")
            return fallback
        }
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), schemes.contains(scheme),
              let host = url.host, !host.isEmpty
        else {
            let expected = schemes.sorted().map { "\($0)://" }.joined(separator: " or ")
            problem(name, "\(Self.quoted(value)) is not a valid URL (expected \(expected)HOST/PATH)")
            return fallback
        }
        record(name, url.absoluteString)
        return url
    }
}
