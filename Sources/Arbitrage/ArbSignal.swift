import Foundation
import Markets

/// A cross-venue arbitrage signal: two legs that together cost less than $1, one JSON object per line:
/// `{"type":"arb","arb_id":"a-1","pair_id":"…","description":"…","legs":[{"platform":"kalshi","action":"buy",
/// "side":"no","price":"0.52","contracts":"10","kalshi_ticker":"…"},{"platform":"polymarket",…,"poly_token":"…"}]}`.
/// Prices are dollar strings or integer cents; contracts a count string or integer.
public struct ArbSignal: Sendable, Hashable {
    public var arbID: String
    public var pairID: String
    public var description: String
    public var legs: [LegRequest]
    /// The line as received (journaled).
    public var payload: String
    /// When it was accepted (Unix ns): `ARB_MAX_AGE_MS` is measured from here.
    public var receivedNanoseconds: Int64 = 0
    /// When it arrived in this process.
    public var arrivedAt: ContinuousClock.Instant = .now

    public init(arbID: String, pairID: String, description: String = "", legs: [LegRequest], payload: String = "") {
        self.arbID = arbID
        self.pairID = pairID
        self.description = description
        self.legs = legs
        self.payload = payload
    }

    /// The id the signal is journaled (and deduplicated) under, apart from single signals' ids.
    public var journalID: String { "arb:" + arbID }

    /// Contracts of the arbitrage (both legs carry the same count).
    public var contracts: Contracts { legs.first?.contracts ?? .zero }
}

/// Why an arb line could not be used (the caller adds the line number).
public struct ArbParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ArbSignal {
    /// A number given as a JSON string or a JSON number.
    private enum Flexible: Decodable {
        case text(String)
        case integer(Int64)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else {
                self = .text(try container.decode(String.self))
            }
        }
    }

    private struct Wire: Decodable {
        struct Leg: Decodable {
            var platform: String?
            var action: String?
            var side: String?
            var price: Flexible?
            var contracts: Flexible?
            var kalshi_ticker: String?
            var poly_token: String?
        }
        var type: String?
        var arb_id: String?
        var pair_id: String?
        var description: String?
        var legs: [Leg]?
    }

    /// Whether a line is an arb signal (`"type":"arb"`).
    public static func isArb(_ line: String) -> Bool {
        (try? JSONValue.parse(line)).map(isArb) ?? false
    }

    /// Whether a parsed line is an arb signal (`"type":"arb"`).
    public static func isArb(_ document: JSONValue) -> Bool {
        document["type"] == .string("arb")
    }

    /// Parses one line. Every problem names the field and the value.
    public init(jsonLine: String) throws(ArbParseError) {
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(jsonLine.utf8)) } catch {
            throw ArbParseError("not an arb object: \(error is DecodingError ? "a field has the wrong type or the JSON is invalid" : "\(error)")")
        }
        guard wire.type == "arb" else { throw ArbParseError("type: must be \"arb\"") }
        func identifier(_ value: String?, _ field: String) throws(ArbParseError) -> String {
            guard let value, !value.isEmpty else { throw ArbParseError("\(field): missing or empty") }
            guard value.utf8.count <= SignalBounds.maxIdentifierLength else {
                throw ArbParseError("\(field): longer than \(SignalBounds.maxIdentifierLength) bytes (\(value.utf8.count))")
            }
            return value
        }
        let arbID = try identifier(wire.arb_id, "arb_id")
        let pairID = try identifier(wire.pair_id, "pair_id")
        let description = String((wire.description ?? "").prefix(200))
        guard let wireLegs = wire.legs, wireLegs.count == 2 else {
            throw ArbParseError("legs: an arb has exactly two legs (\(wire.legs?.count ?? 0) given)")
        }
        var legs: [LegRequest] = []
        for (index, leg) in wireLegs.enumerated() {
            let field = "legs[\(index)]"
            guard let platformText = leg.platform else { throw ArbParseError("\(field).platform: missing (kalshi or polymarket)") }
            guard let platform = Platform(word: platformText) else { throw ArbParseError("\(field).platform: \(Self.quoted(platformText)) is not kalshi or polymarket") }
            guard let actionText = leg.action else { throw ArbParseError("\(field).action: missing (buy)") }
            guard actionText.lowercased() == "buy" else { throw ArbParseError("\(field).action: \(Self.quoted(actionText)) is not buy (an arb buys both legs)") }
            guard let sideText = leg.side else { throw ArbParseError("\(field).side: missing (yes or no)") }
            guard let side = OutcomeSide(rawValue: sideText.lowercased()) else { throw ArbParseError("\(field).side: \(Self.quoted(sideText)) is not yes or no") }
            let price: Price
            switch leg.price {
            case nil: throw ArbParseError("\(field).price: missing")
            case let .text(text)?:
                guard let parsed = try? Price(parsing: text) else { throw ArbParseError("\(field).price: \(Self.quoted(text)) is not a price strictly between 0 and 1") }
                price = parsed
            case let .integer(cents)?:
                guard (1...99).contains(cents), let parsed = try? Price(cents: cents) else {
                    throw ArbParseError("\(field).price: \(cents) is not a price in cents 1–99")
                }
                price = parsed
            }
            let maxContracts = Contracts(hundredths: SignalBounds.maxContracts * Contracts.scale)
            let contracts: Contracts
            switch leg.contracts {
            case nil: throw ArbParseError("\(field).contracts: missing")
            case let .text(text)?:
                guard let parsed = try? Contracts(parsing: text), parsed.isPositive, parsed <= maxContracts else {
                    throw ArbParseError("\(field).contracts: \(Self.quoted(text)) is not a count between 0.01 and \(SignalBounds.maxContracts)")
                }
                contracts = parsed
            case let .integer(count)?:
                guard count > 0, count <= SignalBounds.maxContracts else {
                    throw ArbParseError("\(field).contracts: \(count) is not a count between 1 and \(SignalBounds.maxContracts)")
                }
                contracts = Contracts(hundredths: count * Contracts.scale)
            }
            let instrument: String
            switch platform {
            case .kalshi: instrument = try identifier(leg.kalshi_ticker, "\(field).kalshi_ticker")
            case .polymarket:
                instrument = try identifier(leg.poly_token, "\(field).poly_token")
                guard instrument.allSatisfy(\.isASCIIDigit) else { throw ArbParseError("\(field).poly_token: \(Self.quoted(instrument)) is not a token id (decimal digits)") }
            }
            legs.append(LegRequest(legID: "\(arbID)-\(index == 0 ? "a" : "b")", platform: platform, action: .buy, side: side, price: price,
                                   contracts: contracts, instrument: instrument))
        }
        guard legs[0].contracts == legs[1].contracts else {
            throw ArbParseError("legs: both legs carry the same contracts (\(legs[0].contracts.wireString) and \(legs[1].contracts.wireString) given)")
        }
        guard (legs[0].platform, legs[0].instrument) != (legs[1].platform, legs[1].instrument) else {
            throw ArbParseError("legs: both legs name the same market")
        }
        self.init(arbID: arbID, pairID: pairID, description: description, legs: legs, payload: jsonLine)
    }

    static func quoted(_ value: String) -> String { value.quotedForMessage }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { (0x30...0x39).contains($0) } ?? false }
}
