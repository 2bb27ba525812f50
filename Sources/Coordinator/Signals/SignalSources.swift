import DataClient
import Foundation
import Markets

/// Signals waiting for the next cycle, plus what the sources rejected.
public actor SignalInbox {
    private var pending: [Signal] = []
    public private(set) var received = 0
    public private(set) var malformed = 0
    public private(set) var lastProblem: String?
    /// Oldest signals are dropped beyond this (a stuck loop must not grow without bound).
    private let capacity: Int

    private var arrival: (@Sendable () -> Void)?

    public init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Called on every arrival (the execution loop wakes at once instead of waiting for its cycle).
    public func onArrival(_ handler: @escaping @Sendable () -> Void) { arrival = handler }

    public func add(_ signal: Signal) {
        received += 1
        pending.append(signal)
        if pending.count > capacity { pending.removeFirst(pending.count - capacity) }
        arrival?()
    }

    public func reject(_ problem: SignalParseError) {
        malformed += 1
        lastProblem = problem.description
    }

    /// Everything pending, oldest first; the inbox is emptied.
    public func drain() -> [Signal] {
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    /// Parses JSON lines into the inbox; malformed lines are counted and returned, the stream continues.
    @discardableResult
    public func ingest(lines: [String], startingAt first: Int = 1) -> [SignalParseError] {
        var problems: [SignalParseError] = []
        for (offset, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do { add(try Signal(jsonLine: trimmed, lineNumber: first + offset)) } catch {
                reject(error)
                problems.append(error)
            }
        }
        return problems
    }
}

/// Reads JSON-lines signals from a file or standard input (`-`) into an inbox, line by line.
public enum SignalFileSource {
    public static func start(path: String, into inbox: SignalInbox, report: @escaping @Sendable (SignalParseError) -> Void) throws -> Task<Void, Never> {
        let handle: FileHandle
        if path == "-" { handle = .standardInput } else {
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw SignalParseError(line: 0, reason: "--signals: cannot open \"\(path)\"")
            }
            handle = file
        }
        // Reads block, so they run on a thread of their own (never on the cooperative pool); each batch of
        // lines is handed to the inbox in order.
        let (batches, continuation) = AsyncStream<(first: Int, lines: [String])>.makeStream()
        Thread {
            var buffer = Data()
            var lineNumber = 0
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                var lines: [String] = []
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                if case .terminated = continuation.yield((lineNumber + 1, lines)) { return }
                lineNumber += lines.count
            }
            if !buffer.isEmpty { continuation.yield((lineNumber + 1, [String(decoding: buffer, as: UTF8.self)])) }
            continuation.finish()
        }.start()
        return Task {
            for await batch in batches {
                for problem in await inbox.ingest(lines: batch.lines, startingAt: batch.first) { report(problem) }
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

    public init(books: any MarketDataSource, tickers: [String], seed: UInt64) {
        self.books = books
        self.tickers = tickers
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
            let id = "syn-\(counter)"
            let payload = "{\"signal_id\":\"\(id)\",\"synthetic\":true,\"action\":\"\(action.rawValue)\",\"kalshi\":{\"ticker\":\"\(ticker)\","
                + "\"yes_ask_dollars\":\"\(yesAsk.wireString)\",\"no_ask_dollars\":\"\(noAsk.wireString)\"},\"edge\":{\"cents\":\(edgeCents)},"
                + "\"position\":{\"contracts\":\(contracts)},\"should_trade\":true}"
            return Signal(id: id, shouldTrade: true, action: action, ticker: ticker, yesAsk: yesAsk, noAsk: noAsk,
                          edge: Dollars(micros: edgeCents * 10_000), contracts: Contracts(hundredths: contracts * 100), synthetic: true, payload: payload)
        }
        return nil
    }
}
