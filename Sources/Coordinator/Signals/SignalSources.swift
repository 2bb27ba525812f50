import Arbitrage
import DataClient
import Execution
import Foundation
import Markets
#if canImport(Glibc)
import Glibc
#endif

/// Where accepted signals are recorded before anyone is told they were accepted (the journal).
public protocol SignalStore: Sendable {
    /// Records each signal with its status; `false` for a `signal_id` already recorded (by any run).
    func accept(_ signals: [Journal.AcceptedSignal]) throws -> [Bool]
    /// Called once the accepted signals are on their way (the loop woken): whatever the store does
    /// after an acceptance that need not delay the signal.
    func settleAccepted()
    /// Records what became of accepted signals (one the arbitrage engine had no room for: `refused`).
    func setStatus(_ ids: [String], _ status: String) throws
}

extension Journal: SignalStore {
    /// Durable at once (the intake log); the rows are scheduled by `settleAccepted`, after the loop was woken
    /// (arming the row writer's timer cost the signal 20-24 µs).
    public func accept(_ signals: [Journal.AcceptedSignal]) throws -> [Bool] { try acceptSignals(signals, scheduleRows: false) }
    public func settleAccepted() { scheduleSignalRows() }
    public func setStatus(_ ids: [String], _ status: String) throws { try setSignalStatus(ids, status) }
}

/// What became of a batch of submitted lines.
public struct SignalIntake: Sendable {
    public var accepted = 0
    /// Lines that are not valid signals (line number and reason).
    public var malformed: [SignalParseError] = []
    /// Valid signals that were refused: a `signal_id` already accepted, or no room or no journal to take them.
    public var refused: [SignalParseError] = []
    /// Some line was refused because the inbox is full (HTTP 503 for `POST /signals`).
    public var inboxFull = false
}

/// Accepted signals waiting to trade, best edge first, with what the sources refused.
///
/// Nothing accepted disappears: a signal is journaled as `accepted` before its source is told, waits here
/// (deferred, not dropped, when a cycle has no room for it) until the loop takes it, and is refused out
/// loud (never accepted) only when the bounded inbox is full. A signal older than `maxAge` when its turn
/// comes is returned as expired, never traded stale. A `signal_id` is accepted once, across restarts.
public actor SignalInbox {
    public struct Settings: Sendable {
        /// Signals waiting at most; beyond it new ones are refused (`SIGNAL_INBOX_CAPACITY`).
        public var capacity = 10_000
        /// Older signals are expired, not traded (`SIGNAL_MAX_AGE_MS`).
        public var maxAge: Duration = .milliseconds(5_000)
        /// Longest signal line kept (`SIGNAL_MAX_LINE_BYTES`).
        public var maxLineBytes = 65_536
        public init() {}
    }

    /// What the loop takes for one cycle.
    public struct Batch: Sendable {
        /// Best edge first, at most the cycle's share.
        public var tradeable: [Signal] = []
        /// Too old to trade (their status is `expired` in the journal once the loop records it).
        public var expired: [Signal] = []
        /// Still waiting after this take.
        public var deferred = 0
        /// The inbox's counters as of this take (the loop's stats without a hop per counter).
        public var counters = Counters()
    }

    /// What the inbox has counted since it started.
    public struct Counters: Sendable, Hashable {
        public var received = 0
        public var malformed = 0
        public var refused = 0
        public var duplicates = 0
        public var notTraded = 0
    }

    /// The counters now.
    public var counters: Counters {
        Counters(received: received, malformed: malformed, refused: refused, duplicates: duplicates, notTraded: notTraded)
    }

    public nonisolated let settings: Settings
    private let store: (any SignalStore)?
    private let wallNanoseconds: @Sendable () -> Int64
    /// Sorted by edge, best first; equal edges in arrival order.
    private var pending: [Signal] = []
    /// No signal in `pending` arrived before this (it may be older than the oldest one left).
    private var oldestPending = Int64.max
    public private(set) var received = 0
    public private(set) var malformed = 0
    public private(set) var refused = 0
    public private(set) var duplicates = 0
    public private(set) var notTraded = 0
    public private(set) var lastProblem: String?
    private var arrival: (@Sendable () -> Void)?
    /// Where accepted arb signals go (the arbitrage engine): `false` when it has no room.
    private var arbSink: (@Sendable (ArbSignal) async -> Bool)?
    /// Arb signals accepted (journaled and handed to the engine).
    public private(set) var arbsReceived = 0

    public init(settings: Settings = Settings(), store: (any SignalStore)? = nil,
                wallNanoseconds: @escaping @Sendable () -> Int64 = ExecutionService.systemWallClock) {
        self.settings = settings
        self.store = store
        self.wallNanoseconds = wallNanoseconds
    }

    /// Called on every arrival (the execution loop wakes at once instead of waiting for its cycle).
    public func onArrival(_ handler: @escaping @Sendable () -> Void) { arrival = handler }

    /// Arb signals (`"type":"arb"`) go to `sink` once journaled; without one they are refused.
    public func onArb(_ sink: @escaping @Sendable (ArbSignal) async -> Bool) { arbSink = sink }

    /// Signals waiting now.
    public var waiting: Int { pending.count }

    /// Parses and accepts JSON lines (comments and blank lines skipped). Valid signals are journaled
    /// in one transaction, then queued; every other line is reported with its number.
    @discardableResult
    public func submit(_ lines: [SignalLine]) async -> SignalIntake {
        var intake = SignalIntake()
        var parsed: [(line: Int, signal: Signal)] = []
        var arbs: [(line: Int, arb: ArbSignal)] = []
        let now = wallNanoseconds(), arrived = ContinuousClock.now
        for line in lines {
            switch line {
            case let .tooLong(number, bytes):
                intake.malformed.append(SignalParseError(line: number, reason: "longer than \(settings.maxLineBytes) bytes (\(bytes)); skipped"))
            case let .text(number, text):
                let trimmed = text.trimmingSpaces
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                // One parse tells an arb from a single signal and feeds the single signal's reader (a
                // substring test for "arb" first cost 47-64 µs a line in a run, the stdlib's generic search).
                let document: JSONValue
                do { document = try JSONValue.parse(trimmed) } catch {
                    intake.malformed.append(Signal.unparsable(error, lineNumber: number))
                    continue
                }
                if ArbSignal.isArb(document) {
                    do {
                        var arb = try ArbSignal(jsonLine: trimmed)
                        arb.receivedNanoseconds = now
                        arb.arrivedAt = arrived
                        arbs.append((number, arb))
                    } catch {
                        intake.malformed.append(SignalParseError(line: number, reason: error.description))
                    }
                    continue
                }
                do {
                    var signal = try Signal(document: document, jsonLine: trimmed, lineNumber: number)
                    signal.receivedNanoseconds = now
                    signal.arrivedAt = arrived
                    parsed.append((number, signal))
                } catch {
                    intake.malformed.append(error)
                }
            }
        }
        malformed += intake.malformed.count
        accept(parsed, into: &intake)
        if !arbs.isEmpty { await accept(arbs, into: &intake) }
        if let problem = intake.malformed.last ?? intake.refused.last { lastProblem = problem.description }
        return intake
    }

    /// Accepts a signal made in this process (the synthetic stream, made by the loop's own cycle):
    /// journaled like any other, without waking the loop (it is about to take it).
    public func submit(_ signal: Signal) -> SignalIntake {
        var intake = SignalIntake()
        accept([(0, signal)], into: &intake, wake: false)
        return intake
    }

    private func accept(_ parsed: [(line: Int, signal: Signal)], into intake: inout SignalIntake, wake: Bool = true) {
        var admitted: [(line: Int, signal: Signal)] = []
        var room = settings.capacity - pending.count
        for entry in parsed {
            if entry.signal.shouldTrade {
                guard room > 0 else {
                    intake.inboxFull = true
                    refused += 1
                    intake.refused.append(SignalParseError(line: entry.line, reason: "signal \(Signal.quoted(entry.signal.id)) refused: the inbox is full "
                                                            + "(\(settings.capacity) signals waiting); send it again later"))
                    continue
                }
                room -= 1
            }
            admitted.append(entry)
        }
        var accepted = Array(repeating: true, count: admitted.count)
        if let store {
            let records = admitted.map {
                Journal.AcceptedSignal(id: $0.signal.id, receivedNanoseconds: $0.signal.receivedNanoseconds, payload: $0.signal.payload,
                                       shouldTrade: $0.signal.shouldTrade, status: $0.signal.shouldTrade ? "accepted" : "not_traded")
            }
            do {
                accepted = try store.accept(records)
            } catch {
                for entry in admitted {
                    intake.refused.append(SignalParseError(line: entry.line, reason: "signal \(Signal.quoted(entry.signal.id)) refused: "
                                                            + "the journal could not record it (\(error))"))
                }
                refused += admitted.count
                return
            }
        }
        var queued = false
        for (entry, isNew) in zip(admitted, accepted) {
            guard isNew else {
                duplicates += 1
                intake.refused.append(SignalParseError(line: entry.line, reason: "signal_id \(Signal.quoted(entry.signal.id)) was already accepted; "
                                                        + "refused (a signal trades at most once, across restarts)"))
                continue
            }
            received += 1
            intake.accepted += 1
            if entry.signal.shouldTrade {
                enqueue(entry.signal)
                queued = true
            } else {
                notTraded += 1
            }
        }
        if queued, wake { arrival?() }
        store?.settleAccepted()
    }

    /// Accepts an arb made in this process (the detector): journaled like any other, then handed on.
    @discardableResult
    public func submit(arb: ArbSignal) async -> SignalIntake {
        var intake = SignalIntake()
        await accept([(0, arb)], into: &intake)
        return intake
    }

    /// Journals arb signals (deduplicated by `arb_id`, across restarts) and hands each to the engine; one
    /// the engine has no room for is marked refused in the journal and reported.
    private func accept(_ arbs: [(line: Int, arb: ArbSignal)], into intake: inout SignalIntake) async {
        guard let sink = arbSink else {
            for entry in arbs {
                refused += 1
                intake.refused.append(SignalParseError(line: entry.line, reason: "arb \(Signal.quoted(entry.arb.arbID)) refused: this run has no arbitrage engine"))
            }
            return
        }
        var accepted = Array(repeating: true, count: arbs.count)
        if let store {
            let records = arbs.map {
                Journal.AcceptedSignal(id: $0.arb.journalID, receivedNanoseconds: $0.arb.receivedNanoseconds, payload: $0.arb.payload,
                                       shouldTrade: true, status: "accepted")
            }
            do { accepted = try store.accept(records) } catch {
                refused += arbs.count
                for entry in arbs {
                    intake.refused.append(SignalParseError(line: entry.line, reason: "arb \(Signal.quoted(entry.arb.arbID)) refused: "
                                                            + "the journal could not record it (\(error))"))
                }
                return
            }
        }
        for (entry, isNew) in zip(arbs, accepted) {
            guard isNew else {
                duplicates += 1
                intake.refused.append(SignalParseError(line: entry.line, reason: "arb_id \(Signal.quoted(entry.arb.arbID)) was already accepted; "
                                                        + "refused (an arb trades at most once, across restarts)"))
                continue
            }
            guard await sink(entry.arb) else {
                refused += 1
                intake.inboxFull = true
                try? store?.setStatus([entry.arb.journalID], "refused")
                intake.refused.append(SignalParseError(line: entry.line, reason: "arb \(Signal.quoted(entry.arb.arbID)) refused: the arbitrage engine "
                                                        + "is full; send it again later"))
                continue
            }
            received += 1
            arbsReceived += 1
            intake.accepted += 1
        }
        store?.settleAccepted()
    }

    /// Queues signals an earlier run accepted and never executed (they are journaled already).
    public func restore(_ signals: [Signal]) {
        for signal in signals where signal.shouldTrade { enqueue(signal) }
        received += signals.count
        if !signals.isEmpty { arrival?() }
    }

    /// Inserts by edge (best first), after every signal of equal edge: arrival order breaks ties.
    private func enqueue(_ signal: Signal) {
        var low = 0, high = pending.count
        while low < high {
            let mid = (low + high) / 2
            if pending[mid].edge >= signal.edge { low = mid + 1 } else { high = mid }
        }
        pending.insert(signal, at: low)
        oldestPending = min(oldestPending, signal.receivedNanoseconds)
    }

    /// The best `limit` signals young enough to trade, and those too old to; the rest keep waiting.
    public func take(_ limit: Int) -> Batch {
        var batch = Batch()
        let now = wallNanoseconds()
        let maxAge = settings.maxAge.wholeNanoseconds
        if now - oldestPending <= maxAge {
            // Nothing can have expired: the best `limit` are the first ones (no pass over the backlog).
            let count = min(limit, pending.count)
            batch.tradeable = Array(pending.prefix(count))
            pending.removeFirst(count)
            batch.deferred = pending.count
            batch.counters = counters
            return batch
        }
        var kept: [Signal] = []
        kept.reserveCapacity(pending.count)
        for signal in pending {
            if now - signal.receivedNanoseconds > maxAge {
                batch.expired.append(signal)
            } else if batch.tradeable.count < limit {
                batch.tradeable.append(signal)
            } else {
                kept.append(signal)
            }
        }
        pending = kept
        oldestPending = kept.lazy.map(\.receivedNanoseconds).min() ?? .max
        batch.deferred = kept.count
        batch.counters = counters
        return batch
    }

    /// Puts signals back at the head of their edge class (a cycle stopped before trading them).
    public func putBack(_ signals: [Signal]) {
        for signal in signals { enqueue(signal) }
    }
}

/// What a signal file source reports as it goes.
public enum SignalSourceEvent: Sendable {
    case malformed(SignalParseError)
    case refused(SignalParseError)
    /// Reading failed: no more signals from this source; the run goes on.
    case readError(String)
    case finished(lines: Int)
}

/// Reads JSON-lines signals from a file or standard input (`-`) into an inbox, line by line, in linear
/// time (`LineSplitter`), a bounded batch at a time.
public enum SignalFileSource {
    /// Checks that `path` can be read as a stream of lines: `-`, or a readable file that is not a
    /// directory. The error is a usage message naming the path.
    public static func validate(path: String) -> String? {
        guard path != "-" else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "--signals: \"\(path)\" does not exist (a JSON-lines file, or - for standard input)"
        }
        if isDirectory.boolValue { return "--signals: \"\(path)\" is a directory, not a JSON-lines file" }
        guard FileManager.default.isReadableFile(atPath: path) else { return "--signals: cannot read \"\(path)\" (permission denied)" }
        return nil
    }

    public static func start(path: String, into inbox: SignalInbox, report: @escaping @Sendable (SignalSourceEvent) -> Void) throws -> Task<Void, Never> {
        let descriptor: Int32
        if path == "-" { descriptor = STDIN_FILENO } else {
            if let problem = validate(path: path) { throw SignalParseError(line: 0, reason: problem) }
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw SignalParseError(line: 0, reason: "--signals: cannot open \"\(path)\": \(String(cString: strerror(errno)))") }
        }
        return start(descriptor: descriptor, name: path, into: inbox, report: report)
    }

    /// Reads lines from an open descriptor (closed at the end unless it is standard input).
    public static func start(descriptor: Int32, name path: String, into inbox: SignalInbox,
                             report: @escaping @Sendable (SignalSourceEvent) -> Void) -> Task<Void, Never> {
        let maxLine = inbox.settings.maxLineBytes
        // Reads block, so they run on a thread of their own (never on the cooperative pool). At most a few
        // batches wait for the inbox: a large file is read as fast as it is taken, not into memory.
        let (batches, continuation) = AsyncStream<[SignalLine]>.makeStream()
        let credits = DispatchSemaphore(value: 4)
        Thread {
            defer { if descriptor != STDIN_FILENO { close(descriptor) } }
            var splitter = LineSplitter(maxLineBytes: maxLine)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var lines = 0
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    report(.readError("--signals \(path): read failed after line \(lines): \(String(cString: strerror(errno))); no more signals from it"))
                    break
                }
                let batch = count == 0 ? splitter.finish() : splitter.feed(buffer[0..<count])
                if !batch.isEmpty {
                    lines += batch.count
                    credits.wait()
                    if case .terminated = continuation.yield(batch) { return }
                }
                if count == 0 {
                    report(.finished(lines: lines))
                    break
                }
            }
            continuation.finish()
        }.start()
        return Task {
            for await batch in batches {
                let intake = await inbox.submit(batch)
                credits.signal()
                intake.malformed.forEach { report(.malformed($0)) }
                intake.refused.forEach { report(.refused($0)) }
            }
        }
    }
}

/// The embedded run's signal stream: opportunities read off the (simulated) books, marked synthetic.
/// Seeded, so a run reproduces for a seed and the same market activity.
public actor SyntheticSignalSource {
    private let books: any MarketDataSource
    private let tickers: [String]
    private var random: SplitMix64
    private var counter = 0
    /// Makes ids unique across runs (a journal accepts a `signal_id` once, ever).
    private let runID: String

    public init(books: any MarketDataSource, tickers: [String], seed: UInt64,
                runID: String = String(UInt64(Date().timeIntervalSince1970 * 1_000), radix: 36)) {
        self.books = books
        self.tickers = tickers
        self.runID = runID
        random = SplitMix64(seed: seed)
    }

    /// One signal for a market with a fresh two-sided book, or nil when none has one.
    public func next() async -> Signal? {
        guard !tickers.isEmpty else { return nil }
        for _ in 0..<tickers.count {
            let ticker = tickers[Int(random.next() % UInt64(tickers.count))]
            guard case let .fresh(book, _) = await books.book(ticker),
                  let yesAsk = book.bestAsk(.yes)?.price, let noAsk = book.bestAsk(.no)?.price else { continue }
            counter += 1
            let action: Signal.Action = random.next() % 2 == 0 ? .buyYes : .buyNo
            let edgeCents = Int64(1 + random.next() % 5)
            let contracts = Int64(1 + random.next() % 10)
            let id = "syn-\(runID)-\(counter)"
            let payload = "{\"signal_id\":\"\(id)\",\"synthetic\":true,\"action\":\"\(action.rawValue)\",\"kalshi\":{\"ticker\":\"\(ticker)\","
                + "\"yes_ask_dollars\":\"\(yesAsk.wireString)\",\"no_ask_dollars\":\"\(noAsk.wireString)\"},\"edge\":{\"cents\":\(edgeCents)},"
                + "\"position\":{\"contracts\":\(contracts)},\"should_trade\":true}"
            var signal = Signal(id: id, shouldTrade: true, action: action, ticker: ticker, yesAsk: yesAsk, noAsk: noAsk,
                                edge: Dollars(micros: edgeCents * 10_000), contracts: Contracts(hundredths: contracts * 100), synthetic: true,
                                payload: payload)
            signal.receivedNanoseconds = ExecutionService.systemWallClock()
            return signal
        }
        return nil
    }
}
