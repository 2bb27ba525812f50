@testable import Arbitrage
import Execution
import ExecutorTesting
import Foundation
import Markets
import Synchronization
import Testing

@Suite("Arb signals: parsed exactly, every problem named")
struct ArbSignalTests {
    static let line = #"{"type":"arb","arb_id":"a-1","pair_id":"nba-lal-bos","description":"Lakers vs Celtics ML","legs":[{"platform":"kalshi","action":"buy","side":"no","price":"0.52","contracts":"10","kalshi_ticker":"KXNBA-26JAN11-LAL"},{"platform":"polymarket","action":"buy","side":"yes","price":45,"contracts":10,"poly_token":"7132"}]}"#

    @Test("the issue's example: dollar strings and integer cents, counts as strings or integers")
    func example() throws {
        #expect(ArbSignal.isArb(Self.line))
        let arb = try ArbSignal(jsonLine: Self.line)
        #expect(arb.arbID == "a-1" && arb.pairID == "nba-lal-bos" && arb.journalID == "arb:a-1")
        #expect(arb.legs.map(\.platform) == [.kalshi, .polymarket])
        #expect(arb.legs.map(\.side) == [.no, .yes])
        #expect(arb.legs.map(\.price) == [price("0.52"), price("0.45")])
        #expect(arb.legs.map(\.contracts) == [contracts("10"), contracts("10")])
        #expect(arb.legs.map(\.instrument) == ["KXNBA-26JAN11-LAL", "7132"])
    }

    @Test("malformed arbs name the field and value", arguments: [
        (#""side":"no""#, #""side":"maybe""#, "legs[0].side: \"maybe\" is not yes or no"),
        (#""price":"0.52""#, #""price":"1.52""#, "legs[0].price: \"1.52\" is not a price"),
        (#""price":45"#, #""price":0"#, "legs[1].price: 0 is not a price in cents 1–99"),
        (#""contracts":10,"#, #""contracts":9,"#, "legs: both legs carry the same contracts (10.00 and 9.00 given)"),
        (#""action":"buy","side":"no""#, #""action":"sell","side":"no""#, "legs[0].action: \"sell\" is not buy"),
        (#""platform":"polymarket""#, #""platform":"betfair""#, "legs[1].platform: \"betfair\" is not kalshi or polymarket"),
        (#""poly_token":"7132""#, #""poly_token":"0xabc""#, "legs[1].poly_token: \"0xabc\" is not a token id"),
        (#""arb_id":"a-1","#, #""arb_id":"","#, "arb_id: missing or empty"),
        (#""contracts":"10""#, #""contracts":"92233720368547759""#, "legs[0].contracts: \"92233720368547759\" is not a count"),
    ])
    func malformed(original: String, replacement: String, message: String) {
        let line = Self.line.replacingOccurrences(of: original, with: replacement)
        #expect(throws: ArbParseError.self) { try ArbSignal(jsonLine: line) }
        do { _ = try ArbSignal(jsonLine: line) } catch {
            #expect(error.description.hasPrefix(message), "\(error.description)")
        }
    }

    @Test("a single signal is not an arb")
    func notArb() {
        #expect(!ArbSignal.isArb(#"{"signal_id":"arb","action":"BUY_YES"}"#))
    }
}

@Suite("Pairs files: JSON or TOML, settlement terms compared")
struct PairsFileTests {
    static func toml(cancellation: String = "resolves No", close: String = "2026-01-12T00:00:00Z", accept: Bool = false) -> String {
        """
        [[pairs]]
        pair_id = "nfl-buf"   # a comment
        description = "Bills ML"
        kalshi_ticker = "KXNFL-26JAN11-BUF"
        poly_yes_token = "111"
        poly_no_token = "222"
        orientation = "inverted"
        \(accept ? "accept_differences = true" : "")
        [pairs.kalshi]
        resolution_source = "NFL"
        close_time = "2026-01-12T00:00:00Z"
        cancellation = "resolves No"
        [pairs.polymarket]
        resolution_source = "nfl"
        close_time = "\(close)"
        cancellation = "\(cancellation)"
        """
    }

    @Test("TOML with matching terms loads; orientation is explicit")
    func toml() throws {
        let (pairs, warnings) = try PairsFile.parse(Self.toml())
        #expect(pairs.count == 1 && warnings.isEmpty)
        #expect(pairs[0].orientation == .inverted && pairs[0].polyYesToken == "111" && pairs[0].kalshiTicker == "KXNFL-26JAN11-BUF")
    }

    @Test("different cancellation rules or expiries days apart are refused, naming the difference, unless accepted")
    func differences() throws {
        #expect(throws: PairsFileError.self) { try PairsFile.parse(Self.toml(cancellation: "fair price")) }
        do { _ = try PairsFile.parse(Self.toml(close: "2026-01-15T00:00:00Z")) } catch {
            #expect(error.description.contains("close times 72 h apart"), "\(error)")
        }
        let accepted = try PairsFile.parse(Self.toml(cancellation: "fair price", accept: true))
        #expect(accepted.pairs.count == 1 && accepted.warnings.first?.contains("if cancelled") == true)
    }

    @Test("malformed TOML is an error naming its line")
    func malformedTOML() {
        do {
            _ = try PairsFile.parse(Self.toml().replacingOccurrences(of: #"kalshi_ticker = "KXNFL-26JAN11-BUF""#, with: #"kalshi_ticker = "KXNFL"#))
            Issue.record("an unterminated string must be refused")
        } catch {
            #expect(error.description.hasPrefix("PAIRS_FILE line 4:"), "\(error)")
        }
    }

    @Test("JSON: a bare array or {pairs: […]}; missing fields and repeated ids are named")
    func json() throws {
        let terms = #"{"resolution_source":"AP","close_time":"2026-01-12T00:00:00Z","cancellation":"void"}"#
        let pair = #"{"pair_id":"p","kalshi_ticker":"K","poly_yes_token":"1","poly_no_token":"2","orientation":"same","kalshi":\#(terms),"polymarket":\#(terms)}"#
        #expect(try PairsFile.parse("[\(pair)]").pairs.count == 1)
        #expect(try PairsFile.parse(#"{"pairs":[\#(pair)]}"#).pairs.count == 1)
        do { _ = try PairsFile.parse("[\(pair),\(pair)]") } catch { #expect(error.description.contains("\"p\" appears twice")) }
        do { _ = try PairsFile.parse("[\(pair.replacingOccurrences(of: #""orientation":"same","#, with: ""))]") } catch {
            #expect(error.description.contains("pairs[0].orientation: missing"), "\(error)")
        }
    }
}

@Suite("Circuit breaker: groups of legs, capacity, closing orders")
struct BreakerGroupTests {
    static func order(_ ticker: String, _ count: Int64, closing: Bool = false, sign: Int64 = 1) -> BreakerOrder {
        BreakerOrder(ticker: ticker, eventTicker: "E-" + ticker, positionChange: Contracts(hundredths: sign * count * 100),
                     risk: Dollars(micros: count * 500_000), closing: closing)
    }

    @Test("two legs pass as one decision: the minimum gap applies to the group, not between its legs")
    func group() {
        var breaker = CircuitBreaker(settings: BreakerSettings(limits: RiskLimits(minTimeBetweenOrders: .milliseconds(100))), nowMs: 0)
        #expect(throws: Never.self) { try breaker.checkGroup([Self.order("A", 5), Self.order("B", 5)], nowMs: 1_000).get() }
        breaker.recordSubmitted(Self.order("A", 5), nowMs: 1_000)
        breaker.recordSubmitted(Self.order("B", 5), nowMs: 1_000)
        guard case let .failure(denial) = breaker.checkGroup([Self.order("A", 5), Self.order("B", 5)], nowMs: 1_050) else {
            Issue.record("the next group within 100 ms must wait")
            return
        }
        #expect(denial.code == .minimumGapNotElapsed)
    }

    @Test("capacity caps both legs to the count every limit allows (here the per-market position)")
    func capacity() throws {
        var breaker = CircuitBreaker(settings: BreakerSettings(limits: RiskLimits(maxPositionSize: Contracts(hundredths: 3_000))), nowMs: 0)
        breaker.setPosition(ticker: "A", eventTicker: "E-A", position: Contracts(hundredths: 2_200))
        let result = breaker.capacity(upTo: 20, nowMs: 1_000) { [Self.order("A", $0.hundredths / 100), Self.order("B", $0.hundredths / 100)] }
        #expect(try result.get() == Contracts(hundredths: 800), "30 − 22 = 8 contracts left in market A")
    }

    @Test("a closing order that only reduces passes the rate and loss limits; one that would grow the position does not")
    func closing() {
        var breaker = CircuitBreaker(settings: BreakerSettings(limits: RiskLimits(maxOrdersPerMinute: 1)), nowMs: 0)
        breaker.setPosition(ticker: "A", eventTicker: "E-A", position: Contracts(hundredths: 1_000))
        breaker.recordSubmitted(Self.order("B", 1), nowMs: 1_000)
        #expect(throws: Never.self) { try breaker.check(Self.order("A", 4, closing: true, sign: -1), nowMs: 1_001).get() }
        guard case .failure = breaker.check(Self.order("A", 14, closing: true, sign: -1), nowMs: 1_002) else {
            Issue.record("a close that flips the position is new risk")
            return
        }
        breaker.halt(reason: "operator")
        guard case let .failure(denial) = breaker.check(Self.order("A", 4, closing: true, sign: -1), nowMs: 1_003) else {
            Issue.record("a manual halt stops closes too")
            return
        }
        #expect(denial.code == .manualHalt)
    }
}

/// Books and markets set by a test.
final class FixedArbVenues: ArbVenues {
    let books = FixedBooks()
    let platforms: Set<Platform> = [.kalshi, .polymarket]
    private let versions = Mutex<Int64>(0)

    func market(_ platform: Platform, _ instrument: String) async -> ListedMarket? {
        ListedMarket(platform: platform, ticker: instrument, eventTicker: "E", isOpen: true, status: "open", grid: .linearCent,
                     fees: platform == .kalshi ? .kalshi(seriesTicker: "KXNFL") : .polymarket(feeRateBps: 0))
    }

    func book(_ platform: Platform, _ ticker: String) async -> ServedBook {
        guard case let .fresh(book, _) = await books.book(ticker) else { return .unknown }
        return .fresh(book, seq: versions.withLock { $0 += 1; return $0 })
    }

    func available(_ platform: Platform) async -> Dollars? { Dollars(micros: 1_000_000_000) }
}

@Suite("Detector: both books, orientation, fees, depth")
struct ArbDetectorTests {
    static let terms = SettlementTerms(resolutionSource: "NFL", closeTime: "2026-01-12T00:00:00Z", cancellation: "resolves No")

    static func pair(_ orientation: MarketPair.Orientation) -> MarketPair {
        MarketPair(pairID: "p", description: "", kalshiTicker: "K", polyYesToken: "1", polyNoToken: "2", orientation: orientation,
                   kalshiTerms: terms, polymarketTerms: terms)
    }

    @Test("same orientation: Kalshi YES + Polymarket NO under $1 after fees, sized by both books' depth")
    func same() async throws {
        let venues = FixedArbVenues()
        venues.books.offer("K", yesAsk: price("0.40"), noAsk: price("0.62"), size: contracts("7"))
        venues.books.offer("1", yesAsk: price("0.44"), noAsk: price("0.55"), size: contracts("30"))
        let detector = ArbDetector(pairs: [Self.pair(.same)], venues: venues, busy: { _ in false }, emit: { _ in })
        let arb = try #require(await detector.opportunity(Self.pair(.same)))
        #expect(arb.legs.map(\.side) == [.yes, .no])
        #expect(arb.legs.map(\.price) == [price("0.40"), price("0.55")])
        #expect(arb.contracts == contracts("7"), "the thinner book")
        #expect(arb.payload.contains(#""type":"arb""#))
    }

    @Test("inverted orientation buys the same-named outcomes; no arb when fees eat the gap")
    func inverted() async throws {
        let venues = FixedArbVenues()
        venues.books.offer("K", yesAsk: price("0.40"), noAsk: price("0.62"), size: contracts("10"))
        venues.books.offer("1", yesAsk: price("0.55"), noAsk: price("0.47"), size: contracts("10"))
        let detector = ArbDetector(pairs: [Self.pair(.inverted)], venues: venues, busy: { _ in false }, emit: { _ in })
        let arb = try #require(await detector.opportunity(Self.pair(.inverted)))
        #expect(arb.legs.map(\.side) == [.yes, .yes], "Polymarket YES pays when Kalshi NO does")
        // 0.40 + 0.59 = 0.99: a cent before fees, Kalshi's fee takes it.
        venues.books.offer("1", yesAsk: price("0.59"), noAsk: price("0.43"), size: contracts("10"))
        #expect(await detector.opportunity(Self.pair(.inverted)) == nil)
    }
}
