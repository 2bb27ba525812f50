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
    private struct Wire: Decodable {
        struct Kalshi: Decodable {
            var ticker: String?
            var yes_ask: Int?
            var no_ask: Int?
            var yes_ask_dollars: String?
            var no_ask_dollars: String?
        }
        struct Edge: Decodable {
            var cents: Int?
            var dollars: String?
        }
        struct Confidence: Decodable { var score: Int? }
        struct Position: Decodable {
            var contracts: Int?
            var contracts_fp: String?
        }
        var signal_id: String?
        var should_trade: Bool?
        var action: String?
        var kalshi: Kalshi?
        var edge: Edge?
        var confidence: Confidence?
        var position: Position?
        var synthetic: Bool?
    }

    /// Parses one JSON line. Every problem names the field and the value.
    public init(jsonLine: String, lineNumber: Int) throws(SignalParseError) {
        func fail(_ reason: String) -> SignalParseError { SignalParseError(line: lineNumber, reason: reason) }
        let wire: Wire
        do { wire = try JSONDecoder().decode(Wire.self, from: Data(jsonLine.utf8)) } catch {
            throw fail("not a signal object: \(Self.describe(error))")
        }
        guard let id = wire.signal_id, !id.isEmpty else { throw fail("signal_id: missing or empty") }
        guard id.utf8.count <= SignalBounds.maxIdentifierLength else {
            throw fail("signal_id: longer than \(SignalBounds.maxIdentifierLength) bytes (\(id.utf8.count))")
        }
        guard let actionText = wire.action else { throw fail("action: missing (BUY_YES or BUY_NO)") }
        guard let action = Action(rawValue: actionText) else { throw fail("action: \(Self.quoted(actionText)) is not BUY_YES or BUY_NO") }
        guard let kalshi = wire.kalshi, let ticker = kalshi.ticker, !ticker.isEmpty else { throw fail("kalshi.ticker: missing or empty") }
        guard ticker.utf8.count <= SignalBounds.maxIdentifierLength else {
            throw fail("kalshi.ticker: longer than \(SignalBounds.maxIdentifierLength) bytes (\(ticker.utf8.count))")
        }
        func price(_ field: String, cents: Int?, dollars: String?) throws(SignalParseError) -> Price? {
            if let dollars {
                guard let value = try? Price(parsing: dollars) else {
                    throw fail("kalshi.\(field)_dollars: \(Self.quoted(dollars)) is not a price strictly between 0 and 1")
                }
                return value
            }
            guard let cents else { return nil }
            guard (1...99).contains(cents), let value = Price(micros: Int64(cents) * 10_000) else {
                throw fail("kalshi.\(field): \(cents) is not a price in cents 1–99")
            }
            return value
        }
        let yesAsk = try price("yes_ask", cents: kalshi.yes_ask, dollars: kalshi.yes_ask_dollars)
        let noAsk = try price("no_ask", cents: kalshi.no_ask, dollars: kalshi.no_ask_dollars)
        let edge: Dollars
        let maxEdge = Dollars(micros: SignalBounds.maxEdgeCents * 10_000)
        if let text = wire.edge?.dollars {
            guard let value = try? Dollars(parsing: text) else { throw fail("edge.dollars: \(Self.quoted(text)) is not a dollar amount") }
            guard value.magnitude <= maxEdge else { throw fail("edge.dollars: \(text) is outside -1.00…1.00 (an edge per contract)") }
            edge = value
        } else if let cents = wire.edge?.cents {
            guard (-SignalBounds.maxEdgeCents...SignalBounds.maxEdgeCents).contains(Int64(cents)) else {
                throw fail("edge.cents: \(cents) is outside -\(SignalBounds.maxEdgeCents)…\(SignalBounds.maxEdgeCents) (an edge per contract)")
            }
            edge = Dollars(micros: Int64(cents) * 10_000)
        } else {
            throw fail("edge.cents: missing")
        }
        if let score = wire.confidence?.score, !(0...100).contains(score) {
            throw fail("confidence.score: \(score) is outside 0…100")
        }
        let maxContracts = Contracts(hundredths: SignalBounds.maxContracts * Contracts.scale)
        let contracts: Contracts
        if let text = wire.position?.contracts_fp {
            guard let value = try? Contracts(parsing: text), value.isPositive else { throw fail("position.contracts_fp: \(Self.quoted(text)) is not a positive count") }
            guard value <= maxContracts else { throw fail("position.contracts_fp: \(text) is more than \(SignalBounds.maxContracts) contracts") }
            contracts = value
        } else if let count = wire.position?.contracts {
            guard count > 0 else { throw fail("position.contracts: \(count) is not positive") }
            guard Int64(count) <= SignalBounds.maxContracts else { throw fail("position.contracts: \(count) is more than \(SignalBounds.maxContracts) contracts") }
            contracts = Contracts(hundredths: Int64(count) * Contracts.scale)
        } else {
            throw fail("position.contracts: missing")
        }
        let signal = Signal(id: id, shouldTrade: wire.should_trade ?? false, action: action, ticker: ticker, yesAsk: yesAsk, noAsk: noAsk,
                            edge: edge, confidence: wire.confidence?.score, contracts: contracts, synthetic: wire.synthetic ?? false,
                            payload: jsonLine)
        if signal.shouldTrade, signal.ask == nil {
            throw fail("kalshi.\(action == .buyYes ? "yes_ask" : "no_ask"): missing; a \(actionText) signal needs the ask it trades at")
        }
        self = signal
    }

    /// A user value quoted for an error message: shortened, control characters escaped.
    static func quoted(_ value: String) -> String { value.quotedForMessage }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case let DecodingError.dataCorrupted(context):
            context.codingPath.isEmpty ? "invalid JSON" : "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default:
            "\(error)"
        }
    }
}
