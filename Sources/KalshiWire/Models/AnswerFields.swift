import Foundation
import Markets

/// Why an answer body is not the model it should be, naming the field as `KalshiJSON.describe` does.
public struct AnswerReadError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// The top-level fields of a hot answer's JSON object, read with the project's JSON reader rather than
/// `JSONDecoder` (the largest step of reading an order's or a balance's answer on the client). Accepts
/// what `Codable` accepts for the same model: `null` reads as absent, decimals exact from strings or
/// numbers, unknown fields ignored.
struct AnswerFields {
    private let fields: [String: JSONValue]

    init(_ body: Data) throws(AnswerReadError) {
        let document: JSONValue
        do { document = try JSONValue.parse(String(decoding: body, as: UTF8.self)) } catch {
            throw AnswerReadError(description: "(root): \(error)")
        }
        guard case let .object(fields) = document else {
            throw AnswerReadError(description: "field (root): expected an object, found \(document.kind)")
        }
        self.fields = fields
    }

    /// The fields of an object already read (a WebSocket frame's `msg`).
    init(object fields: [String: JSONValue]) { self.fields = fields }

    private func present(_ key: String) -> JSONValue? {
        if case .null? = fields[key] { return nil }
        return fields[key]
    }

    func string(_ key: String) throws(AnswerReadError) -> String? {
        guard let value = present(key) else { return nil }
        guard case let .string(text) = value else { throw AnswerReadError(description: "field \(key): expected a string, found \(value.kind)") }
        return text
    }

    func fixed<T: FixedPointNumber>(_ key: String, _ type: T.Type) throws(AnswerReadError) -> T? {
        guard let value = present(key) else { return nil }
        switch value {
        case let .string(text), let .number(text):
            do { return try T(parsing: text) } catch { throw AnswerReadError(description: "field \(key): \(error)") }
        default: throw AnswerReadError(description: "field \(key): expected a decimal, found \(value.kind)")
        }
    }

    /// A string naming one of `T`'s cases, as a `String`-backed enum's `Codable` reads it.
    func enumeration<T: RawRepresentable>(_ key: String, _ type: T.Type) throws(AnswerReadError) -> T? where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else { throw AnswerReadError(description: "field \(key): unknown value \"\(text)\"") }
        return value
    }

    /// A JSON integer (no fraction, no exponent), as `Int64`'s `Codable` reads one.
    func integer(_ key: String) throws(AnswerReadError) -> Int64? {
        guard let value = present(key) else { return nil }
        guard case let .number(literal) = value, let integer = Int64(literal) else {
            throw AnswerReadError(description: "field \(key): expected an integer, found \(value.kind)")
        }
        return integer
    }

    func required<T>(_ value: T?, _ key: String) throws(AnswerReadError) -> T {
        guard let value else { throw AnswerReadError(description: "field \(key): missing") }
        return value
    }
}
