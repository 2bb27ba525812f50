import Foundation
import Markets
import TOMLKit

/// How a venue settles a market: what the detector compares before it trusts a pair.
public struct SettlementTerms: Sendable, Hashable, Codable {
    /// Where the result comes from ("NFL official box score", "Associated Press").
    public var resolutionSource: String
    /// When the market closes or expires (ISO 8601).
    public var closeTime: String
    /// What happens if the event is cancelled or postponed ("resolves No", "fair price", "50/50").
    public var cancellation: String

    public init(resolutionSource: String, closeTime: String, cancellation: String) {
        self.resolutionSource = resolutionSource
        self.closeTime = closeTime
        self.cancellation = cancellation
    }

    enum CodingKeys: String, CodingKey {
        case resolutionSource = "resolution_source"
        case closeTime = "close_time"
        case cancellation
    }
}

/// One Kalshi market and the Polymarket market on the same event.
public struct MarketPair: Sendable, Hashable {
    /// Polymarket's YES relative to Kalshi's YES.
    public enum Orientation: String, Sendable, Hashable, Codable {
        /// Polymarket YES pays when Kalshi YES pays.
        case same
        /// Polymarket YES pays when Kalshi NO pays.
        case inverted
    }

    public var pairID: String
    public var description: String
    public var kalshiTicker: String
    public var polyYesToken: String
    public var polyNoToken: String
    public var orientation: Orientation
    public var kalshiTerms: SettlementTerms
    public var polymarketTerms: SettlementTerms
    /// The file accepts the terms' differences (named at load) knowingly.
    public var acceptDifferences: Bool

    public init(pairID: String, description: String, kalshiTicker: String, polyYesToken: String, polyNoToken: String, orientation: Orientation,
                kalshiTerms: SettlementTerms, polymarketTerms: SettlementTerms, acceptDifferences: Bool = false) {
        self.pairID = pairID
        self.description = description
        self.kalshiTicker = kalshiTicker
        self.polyYesToken = polyYesToken
        self.polyNoToken = polyNoToken
        self.orientation = orientation
        self.kalshiTerms = kalshiTerms
        self.polymarketTerms = polymarketTerms
        self.acceptDifferences = acceptDifferences
    }

    /// How the two venues' settlement terms differ (empty when they agree): a different resolution source
    /// or cancellation rule, or close times more than a day apart.
    public var termDifferences: [String] {
        var differences: [String] = []
        func normal(_ text: String) -> String { text.trimmingCharacters(in: .whitespaces).lowercased() }
        if normal(kalshiTerms.resolutionSource) != normal(polymarketTerms.resolutionSource) {
            differences.append("resolution source: Kalshi \"\(kalshiTerms.resolutionSource)\", Polymarket \"\(polymarketTerms.resolutionSource)\"")
        }
        if normal(kalshiTerms.cancellation) != normal(polymarketTerms.cancellation) {
            differences.append("if cancelled: Kalshi \"\(kalshiTerms.cancellation)\", Polymarket \"\(polymarketTerms.cancellation)\"")
        }
        let formatter = ISO8601DateFormatter()
        if let kalshi = formatter.date(from: kalshiTerms.closeTime), let poly = formatter.date(from: polymarketTerms.closeTime) {
            let apart = abs(kalshi.timeIntervalSince(poly))
            if apart > 86_400 {
                differences.append("close times \(Int(apart / 3_600)) h apart: Kalshi \(kalshiTerms.closeTime), Polymarket \(polymarketTerms.closeTime)")
            }
        } else {
            differences.append("close time unreadable (ISO 8601 expected): Kalshi \"\(kalshiTerms.closeTime)\", Polymarket \"\(polymarketTerms.closeTime)\"")
        }
        return differences
    }
}

/// A pairs file that cannot be used, naming the pair and the field.
public struct PairsFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `PAIRS_FILE`: JSON (`{"pairs":[…]}` or a bare array) or TOML (`[[pairs]]` tables with `[pairs.kalshi]` and
/// `[pairs.polymarket]` terms). Each pair: `pair_id`, `description`, `kalshi_ticker`, `poly_yes_token`,
/// `poly_no_token`, `orientation` (`same`/`inverted`), `kalshi` and `polymarket` terms, optional
/// `accept_differences`. A pair whose terms differ is refused, the difference named, unless it accepts them.
public enum PairsFile {
    private struct Wire: Decodable {
        var pair_id: String?
        var description: String?
        var kalshi_ticker: String?
        var poly_yes_token: String?
        var poly_no_token: String?
        var orientation: String?
        var kalshi: SettlementTerms?
        var polymarket: SettlementTerms?
        var accept_differences: Bool?
    }

    private struct Document: Decodable { var pairs: [Wire] }

    /// The pairs of a file, and warnings (accepted differences).
    public static func load(path: String) throws(PairsFileError) -> (pairs: [MarketPair], warnings: [String]) {
        guard let data = FileManager.default.contents(atPath: path) else { throw PairsFileError("PAIRS_FILE: cannot read \"\(path)\"") }
        let text = String(decoding: data, as: UTF8.self)
        return try parse(text, name: path)
    }

    public static func parse(_ text: String, name: String = "PAIRS_FILE") throws(PairsFileError) -> (pairs: [MarketPair], warnings: [String]) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let isJSON = trimmed.hasPrefix("{") || (trimmed.hasPrefix("[") && !trimmed.hasPrefix("[[") && !trimmed.hasPrefix("[pairs"))
        let wires: [Wire]
        do {
            if isJSON, trimmed.hasPrefix("[") {
                wires = try JSONDecoder().decode([Wire].self, from: Data(trimmed.utf8))
            } else if isJSON {
                wires = try JSONDecoder().decode(Document.self, from: Data(trimmed.utf8)).pairs
            } else {
                wires = try TOMLDecoder().decode(Document.self, from: trimmed).pairs
            }
        } catch let error as TOMLParseError {
            throw PairsFileError("\(name) line \(error.source.begin.line): \(error.description)")
        } catch {
            throw PairsFileError("\(name): not a pairs file (\(error is DecodingError ? "a field has the wrong type, or `pairs` is missing" : "\(error)"))")
        }
        var pairs: [MarketPair] = [], warnings: [String] = [], seen = Set<String>()
        for (index, wire) in wires.enumerated() {
            let label = "\(name): pairs[\(index)]"
            func field(_ value: String?, _ key: String) throws(PairsFileError) -> String {
                guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { throw PairsFileError("\(label).\(key): missing") }
                return value
            }
            let id = try field(wire.pair_id, "pair_id")
            guard seen.insert(id).inserted else { throw PairsFileError("\(label).pair_id: \"\(id)\" appears twice") }
            let orientationText = try field(wire.orientation, "orientation")
            guard let orientation = MarketPair.Orientation(rawValue: orientationText.lowercased()) else {
                throw PairsFileError("\(label).orientation: \"\(orientationText)\" is not same or inverted (Polymarket's YES relative to Kalshi's YES)")
            }
            guard let kalshi = wire.kalshi else { throw PairsFileError("\(label).kalshi: settlement terms missing") }
            guard let polymarket = wire.polymarket else { throw PairsFileError("\(label).polymarket: settlement terms missing") }
            let yes = try field(wire.poly_yes_token, "poly_yes_token"), no = try field(wire.poly_no_token, "poly_no_token")
            guard yes != no else { throw PairsFileError("\(label): poly_yes_token and poly_no_token are the same token") }
            let pair = MarketPair(pairID: id, description: wire.description ?? "", kalshiTicker: try field(wire.kalshi_ticker, "kalshi_ticker"),
                                  polyYesToken: yes, polyNoToken: no, orientation: orientation, kalshiTerms: kalshi, polymarketTerms: polymarket,
                                  acceptDifferences: wire.accept_differences ?? false)
            let differences = pair.termDifferences
            if !differences.isEmpty {
                guard pair.acceptDifferences else {
                    throw PairsFileError("\(label) (\(id)): the venues settle differently — \(differences.joined(separator: "; ")); "
                                         + "refused (set accept_differences = true to trade it knowingly)")
                }
                warnings.append("pair \(id): settlement terms differ and are accepted by the file: \(differences.joined(separator: "; "))")
            }
            pairs.append(pair)
        }
        return (pairs, warnings)
    }
}
