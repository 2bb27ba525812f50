import Foundation
import Markets

/// Watches both books of every pair and emits an arb when YES on one venue plus NO on the other (by the
/// pair's orientation) costs less than $1 by at least the minimum profit after both venues' fees, sized
/// by the depth both books offer at those prices.
public actor ArbDetector {
    public struct Settings: Sendable {
        public var minProfit = Dollars(micros: 10_000)
        /// Most contracts in one arb.
        public var maxContracts: Int64 = 10
        /// How often the books are compared.
        public var interval: Duration = .milliseconds(20)
        /// Least time between two arbs on one pair (the engine holds a traded pair anyway; this keeps a
        /// denied or aborted pair from being offered again on every book change).
        public var pairCooldown: Duration = .milliseconds(500)
        public init() {}
    }

    private let pairs: [MarketPair]
    private let venues: any ArbVenues
    private let settings: Settings
    private let emit: @Sendable (ArbSignal) async -> Void
    /// Whether a pair has an arb running or held (no point emitting another).
    private let busy: @Sendable (String) async -> Bool
    private let runID: String
    private var counter = 0
    /// The book versions an arb was last emitted at, per pair (unchanged books: no new arb).
    private var lastSeen: [String: [Int64]] = [:]
    private var lastEmitted: [String: ContinuousClock.Instant] = [:]
    public private(set) var emitted = 0

    public init(pairs: [MarketPair], venues: any ArbVenues, settings: Settings = Settings(),
                runID: String = String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36),
                busy: @escaping @Sendable (String) async -> Bool, emit: @escaping @Sendable (ArbSignal) async -> Void) {
        self.pairs = pairs
        self.venues = venues
        self.settings = settings
        self.runID = runID
        self.busy = busy
        self.emit = emit
    }

    /// Compares books every `interval` until cancelled.
    public func run() async {
        while !Task.isCancelled {
            await scan()
            try? await Task.sleep(for: settings.interval)
        }
    }

    /// One pass over every pair.
    public func scan() async {
        for pair in pairs {
            if let arb = await opportunity(pair) {
                emitted += 1
                await emit(arb)
            }
        }
    }

    /// The best arb the pair's books offer now, if any clears the minimum profit.
    func opportunity(_ pair: MarketPair) async -> ArbSignal? {
        if let last = lastEmitted[pair.pairID], last.duration(to: .now) < settings.pairCooldown { return nil }
        guard !(await busy(pair.pairID)),
              case let .fresh(kalshi, kalshiSeq) = await venues.book(.kalshi, pair.kalshiTicker),
              case let .fresh(poly, polySeq) = await venues.book(.polymarket, pair.polyYesToken),
              lastSeen[pair.pairID] != [kalshiSeq, polySeq],
              let kalshiMarket = await venues.market(.kalshi, pair.kalshiTicker),
              let polyMarket = await venues.market(.polymarket, pair.polyYesToken) else { return nil }
        var best: (profit: Int64, legs: [LegRequest])?
        for kalshiSide in OutcomeSide.allCases {
            // The Polymarket outcome that pays when this Kalshi side does not.
            let polySide = pair.orientation == .same ? kalshiSide.opposite : kalshiSide
            guard let kalshiAsk = kalshi.bestAsk(kalshiSide), let polyAsk = poly.bestAsk(polySide) else { continue }
            let depth = min(kalshiAsk.size.hundredths, polyAsk.size.hundredths, settings.maxContracts * Contracts.scale) / Contracts.scale
            guard depth >= 1 else { continue }
            let count = Contracts(hundredths: depth * Contracts.scale)
            let legs = [
                LegRequest(legID: "a", platform: .kalshi, action: .buy, side: kalshiSide, price: kalshiAsk.price, contracts: count,
                           instrument: pair.kalshiTicker),
                LegRequest(legID: "b", platform: .polymarket, action: .buy, side: polySide, price: polyAsk.price, contracts: count,
                           instrument: pair.polyYesToken),
            ]
            let markets = [kalshiMarket, polyMarket]
            // An arb a venue would refuse (its minimum size or order value) is not an opportunity.
            guard zip(legs, markets).allSatisfy({ ArbEngine.violation($0, $1, count: count) == nil }) else { continue }
            let cost = zip(legs, markets).reduce(Dollars.zero) { $0.addingSaturated(ArbEngine.cost($1.0, $1.1, count: count)) }
            let profit = depth * Dollars.scale - cost.micros
            guard profit >= settings.minProfit.micros * depth, profit > (best?.profit ?? 0) else { continue }
            best = (profit, legs)
        }
        guard let best else { return nil }
        lastSeen[pair.pairID] = [kalshiSeq, polySeq]
        lastEmitted[pair.pairID] = .now
        counter += 1
        let arbID = "det-\(runID)-\(counter)"
        let legs = best.legs.map { leg -> LegRequest in
            var named = leg
            named.legID = "\(arbID)-\(leg.legID)"
            return named
        }
        var arb = ArbSignal(arbID: arbID, pairID: pair.pairID, description: pair.description, legs: legs)
        arb.payload = Self.payload(arb)
        arb.receivedNanoseconds = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        return arb
    }

    /// The arb as the JSON line a signal source would send (journaled with it).
    static func payload(_ arb: ArbSignal) -> String {
        func quoted(_ text: String) -> String { (try? JSONEncoder().encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\"" }
        let legs = arb.legs.map { leg in
            "{\"platform\":\"\(leg.platform.rawValue)\",\"action\":\"buy\",\"side\":\"\(leg.side.rawValue)\",\"price\":\"\(leg.price.wireString)\","
                + "\"contracts\":\"\(leg.contracts.wireString)\",\"\(leg.platform == .kalshi ? "kalshi_ticker" : "poly_token")\":\(quoted(leg.instrument))}"
        }
        return "{\"type\":\"arb\",\"arb_id\":\(quoted(arb.arbID)),\"pair_id\":\(quoted(arb.pairID)),\"description\":\(quoted(arb.description)),"
            + "\"legs\":[\(legs.joined(separator: ","))],\"detector\":true}"
    }
}
