import Foundation
import Markets

/// One arbitrage signal (DESIGN.md §4), parsed: prices exact, sizes fixed-point.
public struct Signal: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, Codable {
        case buyYes = "BUY_YES"
        case buyNo = "BUY_NO"
    }

    public var id: String
    public var shouldTrade: Bool
    public var action: Action
    public var ticker: String
    public var yesAsk: Price?
    public var noAsk: Price?
    /// Expected profit per contract.
    public var edge: Dollars
    public var confidence: Int?
    public var contracts: Contracts
    /// Derived from the simulator's books by the embedded run, not from a detector.
    public var synthetic: Bool
    /// The line as received (journaled with the signal).
    public var payload: String
    /// When the signal was accepted (Unix ns): its age decides whether it may still trade.
    public var receivedNanoseconds: Int64 = 0
    /// When it arrived in this process (latency is measured from here).
    public var arrivedAt: ContinuousClock.Instant = .now

    public var side: OutcomeSide { action == .buyYes ? .yes : .no }
    /// The ask of the outcome to buy, as the signal saw it.
    public var ask: Price? { action == .buyYes ? yesAsk : noAsk }

    public init(id: String, shouldTrade: Bool, action: Action, ticker: String, yesAsk: Price?, noAsk: Price?, edge: Dollars,
                confidence: Int? = nil, contracts: Contracts, synthetic: Bool = false, payload: String = "") {
        self.id = id
        self.shouldTrade = shouldTrade
        self.action = action
        self.ticker = ticker
        self.yesAsk = yesAsk
        self.noAsk = noAsk
        self.edge = edge
        self.confidence = confidence
        self.contracts = contracts
        self.synthetic = synthetic
        self.payload = payload
    }
}

/// A signal line that could not be used: its line number and why.
public struct SignalParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
    public var description: String { "signal line \(line): \(reason)" }
}

extension Signal {
    /// The line's members as the signal format has them (`kalshi.yes_ask`, …): absent or null is nil, any
    /// other type is refused naming the field.
    private struct Fields {
        let members: [String: JSONValue]
        /// `kalshi.` for the `kalshi` object's members, "" at the top.
        let path: String
        let fail: (String) -> SignalParseError

        /// The member `key` when present and not null, as `expected` (`extract` gives nil for any other type).
        private func member<T>(_ key: String, _ expected: String, _ extract: (JSONValue) -> T?) throws(SignalParseError) -> T? {
            guard let value = members[key], value != .null else { return nil }
            guard let typed = extract(value) else { throw fail("not a signal object: \(path)\(key): expected \(expected), found \(value.kind)") }
            return typed
        }

        func string(_ key: String) throws(SignalParseError) -> String? {
            try member(key, "a string") { if case let .string(text) = $0 { text } else { nil } }
        }

        func int(_ key: String) throws(SignalParseError) -> Int? {
            guard let text = try member(key, "a whole number", { if case let .number(text) = $0 { text } else { nil } }) else { return nil }
            guard let integer = JSONValue.number(text).exactInteger else {
                throw fail("not a signal object: \(path)\(key): \(text.quotedForMessage) is not a whole number that fits in 64 bits")
            }
            return integer
        }

        func bool(_ key: String) throws(SignalParseError) -> Bool? {
            try member(key, "true or false") { if case let .bool(flag) = $0 { flag } else { nil } }
        }

        func object(_ key: String) throws(SignalParseError) -> Fields? {
            try member(key, "an object") { if case let .object(members) = $0 { Fields(members: members, path: path + key + ".", fail: fail) } else { nil } }
        }
    }

    /// Parses one JSON line. Every problem names the field and the value.
    public init(jsonLine: String, lineNumber: Int) throws(SignalParseError) {
        let document: JSONValue
        do { document = try JSONValue.parse(jsonLine) } catch { throw Self.unparsable(error, lineNumber: lineNumber) }
        try self.init(document: document, jsonLine: jsonLine, lineNumber: lineNumber)
    }

    /// The error of a line that is not JSON at all.
    static func unparsable(_ error: JSONValue.SyntaxError, lineNumber: Int) -> SignalParseError {
        SignalParseError(line: lineNumber, reason: "not a signal object: \(error)")
    }

    /// The signal of an already parsed line (`jsonLine`, kept as its payload).
    public init(document: JSONValue, jsonLine: String, lineNumber: Int) throws(SignalParseError) {
        func fail(_ reason: String) -> SignalParseError { SignalParseError(line: lineNumber, reason: reason) }
        guard case let .object(members) = document else { throw fail("not a signal object: the line is \(document.kind), not an object") }
        let wire = Fields(members: members, path: "", fail: fail)
        guard let id = try wire.string("signal_id"), !id.isEmpty else { throw fail("signal_id: missing or empty") }
        guard id.utf8.count <= SignalBounds.maxIdentifierLength else {
            throw fail("signal_id: longer than \(SignalBounds.maxIdentifierLength) bytes (\(id.utf8.count))")
        }
        let shouldTrade = try wire.bool("should_trade") ?? false
        guard let actionText = try wire.string("action") else { throw fail("action: missing (BUY_YES or BUY_NO)") }
        guard let action = Action(rawValue: actionText) else { throw fail("action: \(Self.quoted(actionText)) is not BUY_YES or BUY_NO") }
        let kalshi = try wire.object("kalshi")
        guard let kalshi, let ticker = try kalshi.string("ticker"), !ticker.isEmpty else { throw fail("kalshi.ticker: missing or empty") }
        guard ticker.utf8.count <= SignalBounds.maxIdentifierLength else {
            throw fail("kalshi.ticker: longer than \(SignalBounds.maxIdentifierLength) bytes (\(ticker.utf8.count))")
        }
        func price(_ field: String) throws(SignalParseError) -> Price? {
            if let dollars = try kalshi.string(field + "_dollars") {
                guard let value = try? Price(parsing: dollars) else {
                    throw fail("kalshi.\(field)_dollars: \(Self.quoted(dollars)) is not a price strictly between 0 and 1")
                }
                return value
            }
            guard let cents = try kalshi.int(field) else { return nil }
            guard (1...99).contains(cents), let value = Price(micros: Int64(cents) * 10_000) else {
                throw fail("kalshi.\(field): \(cents) is not a price in cents 1–99")
            }
            return value
        }
        let yesAsk = try price("yes_ask")
        let noAsk = try price("no_ask")
        let edgeFields = try wire.object("edge")
        let edge: Dollars
        let maxEdge = Dollars(micros: SignalBounds.maxEdgeCents * 10_000)
        if let text = try edgeFields?.string("dollars") {
            guard let value = try? Dollars(parsing: text) else { throw fail("edge.dollars: \(Self.quoted(text)) is not a dollar amount") }
            guard value.magnitude <= maxEdge else { throw fail("edge.dollars: \(text) is outside -1.00…1.00 (an edge per contract)") }
            edge = value
        } else if let cents = try edgeFields?.int("cents") {
            guard (-SignalBounds.maxEdgeCents...SignalBounds.maxEdgeCents).contains(Int64(cents)) else {
                throw fail("edge.cents: \(cents) is outside -\(SignalBounds.maxEdgeCents)…\(SignalBounds.maxEdgeCents) (an edge per contract)")
            }
            edge = Dollars(micros: Int64(cents) * 10_000)
        } else {
            throw fail("edge.cents: missing")
        }
        let confidence = try wire.object("confidence")?.int("score")
        if let score = confidence, !(0...100).contains(score) {
            throw fail("confidence.score: \(score) is outside 0…100")
        }
        let position = try wire.object("position")
        let maxContracts = Contracts(hundredths: SignalBounds.maxContracts * Contracts.scale)
        let contracts: Contracts
        if let text = try position?.string("contracts_fp") {
            guard let value = try? Contracts(parsing: text), value.isPositive else { throw fail("position.contracts_fp: \(Self.quoted(text)) is not a positive count") }
            guard value <= maxContracts else { throw fail("position.contracts_fp: \(text) is more than \(SignalBounds.maxContracts) contracts") }
            contracts = value
        } else if let count = try position?.int("contracts") {
            guard count > 0 else { throw fail("position.contracts: \(count) is not positive") }
            guard Int64(count) <= SignalBounds.maxContracts else { throw fail("position.contracts: \(count) is more than \(SignalBounds.maxContracts) contracts") }
            contracts = Contracts(hundredths: Int64(count) * Contracts.scale)
        } else {
            throw fail("position.contracts: missing")
        }
        let signal = Signal(id: id, shouldTrade: shouldTrade, action: action, ticker: ticker, yesAsk: yesAsk, noAsk: noAsk,
                            edge: edge, confidence: confidence, contracts: contracts, synthetic: try wire.bool("synthetic") ?? false,
                            payload: jsonLine)
        if signal.shouldTrade, signal.ask == nil {
            throw fail("kalshi.\(action == .buyYes ? "yes_ask" : "no_ask"): missing; a \(actionText) signal needs the ask it trades at")
        }
        self = signal
    }

    /// A user value quoted for an error message: shortened, control characters escaped.
    static func quoted(_ value: String) -> String { value.quotedForMessage }
}
