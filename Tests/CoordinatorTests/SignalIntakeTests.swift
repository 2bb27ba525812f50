import DataClient
import Execution
import ExecutorTesting
import Foundation
import Markets
import Synchronization
import Testing
@testable import Coordinator

/// A venue listing fixed by the test.
struct FixedListing: MarketListing {
    var markets: [String: MarketInfo]

    init(_ tickers: [String]) {
        markets = Dictionary(uniqueKeysWithValues: tickers.map {
            ($0, MarketInfo(ticker: $0, eventTicker: String($0.split(separator: "-").prefix(2).joined(separator: "-")), seriesTicker: "KXNFL",
                            grid: .linearCent, status: "active"))
        })
    }

    func openMarkets() async throws -> [MarketInfo] { Array(markets.values) }
    func market(_ ticker: String) async throws -> MarketInfo? { markets[ticker] }
}

/// An inbox, a loop and a paper execution service over fixed books and a fresh journal.
struct IntakeHarness {
    static let tickers = ["KXNFL-26JAN11-BUF", "KXNFL-26JAN11-KC", "KXNFL-26JAN11-PHI", "KXNFL-26JAN11-DAL"]
    let dir: TemporaryDirectory
    let journal: Journal
    let service: ExecutionService
    let inbox: SignalInbox
    let loop: ExecutionLoop
    let lines = LogLines()

    init(capacity: Int = 10_000, maxAge: Duration = .seconds(5), perCycle: Int = 3, journal path: String? = nil,
         wallNanoseconds: @escaping @Sendable () -> Int64 = ExecutionService.systemWallClock) throws {
        let dir = try TemporaryDirectory()
        self.dir = dir
        let books = FixedBooks()
        for ticker in Self.tickers { books.offer(ticker, yesAsk: price("0.50"), noAsk: price("0.52"), size: contracts("1000000")) }
        var paper = PaperExecutor<ContinuousClock>.Settings()
        paper.latency = .zero ... .zero
        paper.startingCash = Dollars(micros: 1_000_000_000 * 1_000_000)
        let executor = PaperExecutor(books: books, clock: ContinuousClock(), settings: paper)
        journal = try Journal(path: path ?? dir.path + "/journal.sqlite")
        let limits = RiskLimits(maxPositionSize: contracts("10000000"), maxRiskPerTrade: Dollars(micros: .max / 2), maxDailyLoss: Dollars(micros: .max / 2),
                                maxDailyTrades: 10_000_000, maxDailyVolume: Contracts(hundredths: .max / 2), maxPositionPerEvent: Contracts(hundredths: .max / 4),
                                maxOrdersPerMinute: 10_000_000, minTimeBetweenOrders: .zero, maxConsecutiveLosses: 0)
        service = try ExecutionService(executor: executor, journal: journal, mode: .paper,
                                       breaker: BreakerSettings(limits: limits, maxTotalPosition: Contracts(hundredths: .max / 4)))
        var settings = SignalInbox.Settings()
        settings.capacity = capacity
        settings.maxAge = maxAge
        inbox = SignalInbox(settings: settings, store: journal, wallNanoseconds: wallNanoseconds)
        var loopSettings = ExecutionLoop.Settings()
        loopSettings.maxSignalsPerCycle = perCycle
        loopSettings.statsEvery = .max
        let lines = lines
        loop = ExecutionLoop(inbox: inbox, service: service, catalog: MarketCatalog(listing: FixedListing(Self.tickers)), settings: loopSettings,
                             log: { line in lines.append(line) })
    }

    static func signal(_ id: String, edge: Int = 2, contracts: Int = 1, ticker: String = tickers[0], shouldTrade: Bool = true) -> String {
        #"{"signal_id":"\#(id)","should_trade":\#(shouldTrade),"action":"BUY_YES","kalshi":{"ticker":"\#(ticker)","yes_ask":50,"no_ask":52},"edge":{"cents":\#(edge)},"position":{"contracts":\#(contracts)}}"#
    }

    static func numbered(_ lines: [String]) -> [SignalLine] {
        lines.enumerated().map { .text(number: $0.offset + 1, $0.element) }
    }

    func log() -> [String] { lines.all }
}

/// Log lines a test collects.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

@Suite("Signal intake: bounded fields, nothing dropped, journaled on acceptance")
struct SignalIntakeTests {
    @Test("TS-48 a signal with an overflowing edge or size is refused naming the field and the value", arguments: [
        (#"{"signal_id":"o-1","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":922337203685477580},"position":{"contracts":1}}"#,
         "edge.cents: 922337203685477580 is outside -100…100 (an edge per contract)"),
        (#"{"signal_id":"o-2","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":1},"position":{"contracts":92233720368547759}}"#,
         "position.contracts: 92233720368547759 is more than 1000000 contracts"),
        (#"{"signal_id":"o-3","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"dollars":"99999999999.99"},"position":{"contracts":1}}"#,
         "edge.dollars: 99999999999.99 is outside -1.00…1.00 (an edge per contract)"),
        (#"{"signal_id":"o-4","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":1},"position":{"contracts_fp":"92233720368547758.07"}}"#,
         "position.contracts_fp: 92233720368547758.07 is more than 1000000 contracts"),
        (#"{"signal_id":"o-5","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask_dollars":"1.5"},"edge":{"cents":1},"position":{"contracts":1}}"#,
         "kalshi.yes_ask_dollars: \"1.5\" is not a price strictly between 0 and 1"),
        (#"{"signal_id":"o-6","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":1},"confidence":{"score":1000},"position":{"contracts":1}}"#,
         "confidence.score: 1000 is outside 0…100"),
    ])
    func boundedFields(line: String, reason: String) {
        #expect(throws: SignalParseError(line: 7, reason: reason)) { try Signal(jsonLine: line, lineNumber: 7) }
    }

    @Test("a field of the wrong type, a number that is not whole, or text that is not JSON: refused naming the field or the byte", arguments: [
        (#"{"signal_id":5,"should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":1},"position":{"contracts":1}}"#,
         "not a signal object: signal_id: expected a string, found a number"),
        (#"{"signal_id":"t-1","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":"50"},"edge":{"cents":1},"position":{"contracts":1}}"#,
         "not a signal object: kalshi.yes_ask: expected a whole number, found a string"),
        (#"{"signal_id":"t-2","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50.5},"edge":{"cents":1},"position":{"contracts":1}}"#,
         "not a signal object: kalshi.yes_ask: \"50.5\" is not a whole number that fits in 64 bits"),
        (#"{"signal_id":"t-3","should_trade":"yes","action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":1},"position":{"contracts":1}}"#,
         "not a signal object: should_trade: expected true or false, found a string"),
        (#"{"signal_id":"t-4","should_trade":true,"action":"BUY_YES","kalshi":[],"edge":{"cents":1},"position":{"contracts":1}}"#,
         "not a signal object: kalshi: expected an object, found an array"),
        (#"{"signal_id":"t-5","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"T","yes_ask":50},"edge":{"cents":1},"position":{"contracts":1e400}}"#,
         "not a signal object: position.contracts: \"1e400\" is not a whole number that fits in 64 bits"),
        (#"{"signal_id":"t-6","should_trade":true,"#, "not a signal object: invalid JSON at byte 39: unexpected end of text"),
        (#"["t-7"]"#, "not a signal object: the line is an array, not an object"),
    ])
    func wrongTypes(line: String, reason: String) {
        #expect(throws: SignalParseError(line: 3, reason: reason)) { try Signal(jsonLine: line, lineNumber: 3) }
    }

    @Test("null and absent optional members are the same; 5.0 is the whole number 5, as JSONDecoder read it")
    func lenientAsBefore() throws {
        let signal = try Signal(jsonLine: #"{"signal_id":"n-1","should_trade":true,"action":"BUY_NO","kalshi":{"ticker":"T","yes_ask":null,"no_ask":52.0},"edge":{"cents":2},"confidence":null,"position":{"contracts":3,},}"#,
                                lineNumber: 1)
        #expect(signal.yesAsk == nil && signal.noAsk == Price(micros: 520_000) && signal.confidence == nil)
        #expect(signal.contracts == Contracts(hundredths: 300) && signal.side == .no)
    }

    @Test("TS-51 signals beyond MAX_SIGNALS_PER_CYCLE are deferred to later cycles, best edge first, none dropped")
    func deferral() async throws {
        let h = try IntakeHarness(perCycle: 3) { 1_000_000_000_000 }  // a fixed wall clock: no signal ages out under a slow machine
        defer { h.dir.remove() }
        let intake = await h.inbox.submit(IntakeHarness.numbered((1...10).map { IntakeHarness.signal("d-\($0)", edge: $0 % 4 + 1) }))
        #expect(intake.accepted == 10 && intake.refused.isEmpty)
        await h.loop.cycle()
        let first = await h.loop.stats
        #expect(first.orders == 3 && first.deferred == 7)
        let traded = h.log().compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        #expect(traded == ["d-3", "d-7", "d-2"], "best edge first, arrival order among equals")
        for _ in 0..<3 { await h.loop.cycle() }
        let stats = await h.loop.stats, waiting = await h.inbox.waiting
        #expect(stats.orders == 10 && waiting == 0)
        #expect(try h.journal.signalStatusCounts() == ["filled": 10])
    }

    @Test("TS-51 a full inbox refuses out loud (counted, the line named); what it holds still trades")
    func fullInbox() async throws {
        let h = try IntakeHarness(capacity: 4, perCycle: 2) { 1_000_000_000_000 }
        defer { h.dir.remove() }
        let intake = await h.inbox.submit(IntakeHarness.numbered((1...6).map { IntakeHarness.signal("f-\($0)") }))
        #expect(intake.accepted == 4 && intake.inboxFull)
        #expect(intake.refused.map(\.line) == [5, 6])
        #expect(intake.refused.first?.reason.contains("the inbox is full (4 signals waiting)") == true)
        #expect(await h.inbox.refused == 2)
        #expect(try h.journal.signalCount() == 4, "a refused signal was never accepted, so never journaled")
        await h.loop.cycle()
        await h.loop.cycle()
        let stats = await h.loop.stats
        #expect(stats.orders == 4 && stats.refused == 2)
    }

    @Test("TS-52 a signal is journaled before its source hears it was accepted; a signal_id is accepted once, across restarts")
    func journaledOnceAcrossRestarts() async throws {
        let h = try IntakeHarness()
        defer { h.dir.remove() }
        let first = await h.inbox.submit(IntakeHarness.numbered([IntakeHarness.signal("once"), IntakeHarness.signal("once"),
                                                                 IntakeHarness.signal("later", shouldTrade: false)]))
        #expect(first.accepted == 2)
        #expect(first.refused.map(\.line) == [2] && first.refused.first?.reason.contains("was already accepted") == true)
        #expect(try h.journal.pendingSignals().map(\.id) == ["once"], "journaled as accepted the moment submit returned")
        #expect(try h.journal.signalStatusCounts()["not_traded"] == 1)
        // A later run on the same journal (the file re-run after a crash).
        let restarted = SignalInbox(store: try Journal(path: h.journal.path))
        let again = await restarted.submit(IntakeHarness.numbered([IntakeHarness.signal("once")]))
        #expect(again.accepted == 0 && again.refused.count == 1)
        #expect(await restarted.duplicates == 1)
    }

    @Test("TS-52 signals accepted through the inbox get their rows on the journal's thread: another reader sees them unasked")
    func rowsFollowAcceptance() async throws {
        let h = try IntakeHarness()
        defer { h.dir.remove() }
        let intake = await h.inbox.submit(IntakeHarness.numbered([IntakeHarness.signal("row-1"), IntakeHarness.signal("row-2", shouldTrade: false)]))
        #expect(intake.accepted == 2)
        let reader = try Journal(path: h.journal.path, readOnly: true)
        let deadline = ContinuousClock.now + .seconds(10)
        while try reader.signalCount() < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(try reader.signalStatusCounts() == ["accepted": 1, "not_traded": 1])
    }

    @Test("TS-53 a signal older than SIGNAL_MAX_AGE_MS when its turn comes is recorded as expired, never traded")
    func expiry() async throws {
        let now = Mutex<Int64>(1_000_000_000_000)
        let h = try IntakeHarness(maxAge: .milliseconds(500), perCycle: 1) { now.withLock { $0 } }
        defer { h.dir.remove() }
        await h.inbox.submit(IntakeHarness.numbered([IntakeHarness.signal("a", edge: 3), IntakeHarness.signal("b", edge: 2)]))
        await h.loop.cycle()
        now.withLock { $0 += 600_000_000 }
        await h.loop.cycle()
        let stats = await h.loop.stats
        #expect(stats.orders == 1 && stats.expired == 1)
        #expect(h.log().contains { $0.hasPrefix("EXPIRED b ") })
        #expect(try h.journal.signalStatusCounts() == ["filled": 1, "expired": 1])
    }

    @Test("TS-54 lines are split in linear time; a line over the maximum is rejected with its number and the stream goes on")
    func longLines() async throws {
        var splitter = LineSplitter(maxLineBytes: 1_024)
        var lines: [SignalLine] = []
        lines += splitter.feed(Array("first\r\n".utf8))
        let giant = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        for _ in 0..<10 { lines += splitter.feed(giant) }  // a 10 MiB line, in 1 MiB chunks
        lines += splitter.feed(Array("\nthird\nfour".utf8))
        lines += splitter.finish()
        #expect(lines == [.text(number: 1, "first"), .tooLong(number: 2, bytes: 10 << 20), .text(number: 3, "third"), .text(number: 4, "four")])

        let h = try IntakeHarness()
        defer { h.dir.remove() }
        let intake = await h.inbox.submit([.tooLong(number: 1, bytes: 70_000), .text(number: 2, IntakeHarness.signal("after-long"))])
        #expect(intake.accepted == 1)
        #expect(intake.malformed.first?.description == "signal line 1: longer than 65536 bytes (70000); skipped")
    }

    @Test("TS-49 a read error in the middle of a signal stream is reported and the source ends; nothing crashes")
    func readError() async throws {
        let h = try IntakeHarness()
        defer { h.dir.remove() }
        let events = Mutex<[String]>([])
        // A directory opens but cannot be read (EISDIR): the read-error path of the real source.
        let task = SignalFileSource.start(descriptor: open(h.dir.path, O_RDONLY), name: h.dir.path, into: h.inbox) { event in
            if case let .readError(message) = event { events.withLock { $0.append(message) } }
        }
        await task.value
        #expect(events.withLock { $0.first?.contains("read failed after line 0") == true }, "\(events.withLock { $0 })")
    }

    @Test("TS-50 a seeded fuzz: 100,000 random and mutated signal lines through parsing, the inbox, the journal and the loop; nothing crashes")
    func fuzz() async throws {
        let h = try IntakeHarness(capacity: 1_000_000, perCycle: 1_000_000)
        defer { h.dir.remove() }
        var random = SplitMix64(seed: 20_261_203)
        let template = Array(IntakeHarness.signal("TEMPLATE", edge: 3, contracts: 2).utf8)
        let numbers = ["922337203685477580", "92233720368547759", "9223372036854775807", "-9223372036854775808", "-1", "0", "1e30", "99",
                       "100", "101", "0.5", "\"12\"", "null", "[]", "{}", "true", "18446744073709551616"]
        let alphabet = Array("{}[]\":,.-+0123456789eE \\\n\t\u{0}abcxyzé€😀BUY_YESNO".utf8)
        var total = 0, blank = 0
        for batch in 0..<100 {
            var lines: [SignalLine] = []
            for index in 0..<1_000 {
                var bytes: [UInt8]
                switch random.next() % 6 {
                case 0:  // random bytes
                    bytes = (0..<Int(random.next() % 120)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
                case 1, 2:  // the template with a number replaced
                    var text = String(decoding: template, as: UTF8.self).replacingOccurrences(of: "TEMPLATE", with: "z-\(batch)-\(index)")
                    let slot = ["\"edge\":{\"cents\":3}", "\"contracts\":2", "\"yes_ask\":50", "\"no_ask\":52"][Int(random.next() % 4)]
                    let key = slot.split(separator: ":").dropLast().joined(separator: ":")
                    text = text.replacingOccurrences(of: slot, with: key + ":" + numbers[Int(random.next() % UInt64(numbers.count))]
                                                      + (slot.hasSuffix("}") ? "}" : ""))
                    // Mostly markets the venue does not list (the loop refuses them early); now and then a listed one.
                    let listed = IntakeHarness.tickers[Int(random.next() % 4)]
                    text = text.replacingOccurrences(of: IntakeHarness.tickers[0], with: random.next() % 8 == 0 ? listed : listed + "-UNLISTED")
                    bytes = Array(text.utf8)
                case 3:  // byte flips and insertions
                    bytes = template
                    for _ in 0..<(1 + Int(random.next() % 4)) {
                        let at = Int(random.next() % UInt64(bytes.count))
                        if random.next() % 2 == 0 { bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))] } else {
                            bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                        }
                    }
                case 4:  // truncation
                    bytes = Array(template.prefix(Int(random.next() % UInt64(template.count))))
                default:  // a valid signal (possibly a duplicate id), some not to trade
                    bytes = Array(IntakeHarness.signal("v-\(random.next() % 3_000)", edge: Int(random.next() % 5) + 1,
                                                       ticker: IntakeHarness.tickers[Int(random.next() % 4)] + (random.next() % 5 == 0 ? "-X" : ""),
                                                       shouldTrade: random.next() % 4 != 0).utf8)
                }
                let text = String(decoding: bytes, as: UTF8.self)
                if text.trimmingCharacters(in: .whitespaces).isEmpty || text.trimmingCharacters(in: .whitespaces).hasPrefix("#") { blank += 1 }
                lines.append(.text(number: index + 1, text))
                total += 1
            }
            await h.inbox.submit(lines)
            while await h.inbox.waiting > 0 { await h.loop.cycle() }
        }
        #expect(total == 100_000)
        let stats = await h.loop.stats
        let accepted = await h.inbox.received, malformed = await h.inbox.malformed
        let refused = await h.inbox.refused, duplicates = await h.inbox.duplicates
        #expect(accepted + malformed + refused + duplicates + blank == total, "every line accounted for")
        #expect(stats.orders > 1_000, "valid signals traded: \(stats.line)")
        #expect(try h.journal.signalCount() == accepted)
    }

    @Test("TS-58 a book subscription that fails is retried with backoff until it succeeds, not given up for the run")
    func bookRetry() async throws {
        let failures = Mutex(2)
        let attempts = Mutex(0)
        var settings = BookWatcher.Settings()
        settings.initialBackoff = .milliseconds(5)
        settings.maxBackoff = .milliseconds(20)
        let log = Mutex<[String]>([])
        let watcher = BookWatcher(settings: settings, log: { line in log.withLock { $0.append(line) } }) { _ in
            attempts.withLock { $0 += 1 }
            if failures.withLock({ left in defer { left -= 1 }; return left > 0 }) { throw ManualOrderError("feed hiccup") }
        }
        #expect(await watcher.ensure("KX-A") == false)
        // A long bound: the suite's 100,000-line fuzz may hold both of the pool's threads for a while.
        #expect(await eventually(timeout: .seconds(120)) { await watcher.isSubscribed("KX-A") })
        #expect(attempts.withLock { $0 } == 3)
        #expect(log.withLock { $0.last?.contains("restored after 2 failed attempt(s)") == true })
        #expect(await watcher.ensure("KX-A"), "subscribed now: not asked again")
        #expect(attempts.withLock { $0 } == 3)
    }
}
