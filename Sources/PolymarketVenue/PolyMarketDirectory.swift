import Foundation
import Markets
import PolymarketClient
import PolymarketWire

/// What an order on a Polymarket token needs to know about its market.
public struct PolyTokenInfo: Sendable, Hashable {
    /// The condition (the `market` of books, orders and trades).
    public var conditionID: String
    /// The market's first outcome's token (“Yes”): the instrument positions and orders are kept under.
    public var yesToken: String
    public var noToken: String
    public var tick: PolyTickSize
    public var negRisk: Bool
    /// `min_order_size` (shares), when the book states one.
    public var minimumSize: Dollars?
    /// Taker fee rate, basis points.
    public var feeRateBps: Int64
    public var question: String?
    /// Closed, with the winning outcome when resolved.
    public var closed = false
    public var winner: OutcomeSide?

    public init(conditionID: String, yesToken: String, noToken: String, tick: PolyTickSize, negRisk: Bool, minimumSize: Dollars?, feeRateBps: Int64,
                question: String? = nil) {
        self.conditionID = conditionID
        self.yesToken = yesToken
        self.noToken = noToken
        self.tick = tick
        self.negRisk = negRisk
        self.minimumSize = minimumSize
        self.feeRateBps = feeRateBps
        self.question = question
    }

    /// The token of an outcome.
    public func token(_ side: OutcomeSide) -> String { side == .yes ? yesToken : noToken }

    /// Which outcome a token is, in this market.
    public func outcome(of token: String) -> OutcomeSide? { token == yesToken ? .yes : token == noToken ? .no : nil }

    public var fees: FeeSchedule { .polymarket(feeRateBps: feeRateBps) }

    /// Valid prices: the tick's grid.
    public var grid: PriceGrid { PriceGrid(tick: tick) }
}

extension PriceGrid {
    /// Every multiple of a Polymarket tick inside (0, 1).
    public init(tick: PolyTickSize) {
        let range = try? PriceRange(start: .zero, end: Dollars(micros: 1_000_000), step: Dollars(micros: tick.micros))
        self = range.flatMap { try? PriceGrid(ranges: [$0]) } ?? .linearCent
    }
}

/// A token the directory cannot describe.
public struct PolyDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
}

/// Market parameters by token, read once from the CLOB (`GET /book`: condition, tick, minimum size,
/// neg-risk; `GET /fee-rate`) and Gamma (the market's two tokens by outcome label), then cached; a
/// `tick_size_change` updates the tick.
public actor PolyMarketDirectory {
    private let client: PolymarketClient
    private let gamma: GammaClient?
    private var byToken: [String: PolyTokenInfo] = [:]

    public init(client: PolymarketClient, gamma: GammaClient?) {
        self.client = client
        self.gamma = gamma
    }

    /// Adds (or replaces) what is known of a market (tests, and markets listed at start-up).
    public func register(_ info: PolyTokenInfo) {
        byToken[info.yesToken] = info
        byToken[info.noToken] = info
    }

    public func cached(_ token: String) -> PolyTokenInfo? { byToken[token] }

    public var known: [PolyTokenInfo] { Array(Set(byToken.values)).sorted { $0.yesToken < $1.yesToken } }

    public func updateTick(token: String, to tick: PolyTickSize) {
        guard var info = byToken[token] else { return }
        info.tick = tick
        register(info)
    }

    /// The market of `token`, read from the venue the first time.
    public func info(_ token: String) async throws(PolyDirectoryError) -> PolyTokenInfo {
        if let known = byToken[token] { return known }
        let book: PolyBookSummary
        do { book = try await client.book(token) } catch {
            throw PolyDirectoryError(description: "token \(token.prefix(24)): no book on the CLOB (\(error))")
        }
        guard let tick = PolyTickSize(parsing: book.tickSize) else {
            throw PolyDirectoryError(description: "token \(token.prefix(24)): tick_size \"\(book.tickSize)\" is not a Polymarket tick")
        }
        let fee = (try? await client.feeRate(token)) ?? 0
        let minimum = PolyDecimal.micros(book.minOrderSize).map(Dollars.init(micros:))
        var yes = token, no = ""
        var question: String?
        if let gamma, let market = try? await gamma.markets(tokenIDs: [token]).first(where: { $0.conditionId == book.market }),
           let tokens = market.tokensByOutcome {
            question = market.question
            let labels = (try? JSONDecoder().decode([String].self, from: Data(market.outcomes.utf8))) ?? []
            let first = labels.first?.lowercased() ?? "yes"
            let second = labels.dropFirst().first?.lowercased() ?? "no"
            yes = tokens[first] ?? token
            no = tokens[second] ?? ""
        }
        guard !no.isEmpty else {
            throw PolyDirectoryError(description: "token \(token.prefix(24)): Gamma does not list its market's two tokens (set POLY_GAMMA_URL)")
        }
        let info = PolyTokenInfo(conditionID: book.market, yesToken: yes, noToken: no, tick: tick, negRisk: book.negRisk, minimumSize: minimum,
                                 feeRateBps: fee, question: question)
        register(info)
        return info
    }
}
