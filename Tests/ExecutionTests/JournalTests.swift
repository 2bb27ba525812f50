import ExecutorTesting
import Foundation
import Markets
import Testing
@testable import Execution

@Suite("SQLite journal")
struct JournalTests {
    static func order(_ id: String, at ns: Int64 = 1) -> JournalOrder {
        JournalOrder(clientOrderID: id, signalID: "s-1", ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .no, limitPrice: price("0.53"),
                     requested: contracts("10"), mode: "demo", createdNanoseconds: ns)
    }

    static func fill(_ id: String, order: String, _ count: String = "4") -> JournalFill {
        JournalFill(fillID: id, clientOrderID: order, ticker: "KXNFL-26JAN11-BUF", count: contracts(count), price: price("0.53"),
                    fee: Dollars(micros: 20_000), role: .taker, nanoseconds: 2)
    }

    @Test("TS-22 an order written before sending is there after a crash (reopen without closing), still pending")
    func crashAfterWrite() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/data/executor.sqlite"
        do {
            let journal = try Journal(path: path)
            try journal.insert(Self.order("c-1"))
            // The process dies here, before any request: no close, no flush call.
        }
        let reopened = try Journal(path: path)
        let open = try reopened.nonTerminalOrders()
        #expect(open.map(\.clientOrderID) == ["c-1"])
        #expect(open.first?.state == .pending)
        #expect(open.first?.limitPrice == price("0.53") && open.first?.side == .no)
    }

    @Test("TS-22 an order whose intent was written but not its row (killed in between) comes back pending; a torn last line is ignored")
    func crashAfterIntent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/j.sqlite"
        var tricky = Self.order("c-2\tx\\y")
        tricky.signalID = "line\r\nbreak"
        do {
            let journal = try Journal(path: path)
            try journal.recordIntent(Self.order("c-1"))
            try journal.insert(Self.order("c-1"))
            try journal.recordIntent(tricky)
            // Killed here: the request may be out, the SQLite row is not written.
        }
        // A crash in the middle of the next intent's write: no newline, never sent.
        let handle = try #require(FileHandle(forWritingAtPath: path + "-intents"))
        handle.seekToEndOfFile()
        handle.write(Data("v1\tc-3\ts\tKX".utf8))
        try handle.close()

        let reopened = try Journal(path: path)
        #expect(try reopened.nonTerminalOrders().map(\.clientOrderID) == ["c-1"], "a reader leaves the intents alone")
        try reopened.recoverIntents()
        let open = try reopened.nonTerminalOrders()
        #expect(Set(open.map(\.clientOrderID)) == ["c-1", tricky.clientOrderID])
        let recovered = try #require(try reopened.order(tricky.clientOrderID))
        #expect(recovered.state == .pending && recovered.signalID == "line\r\nbreak" && recovered.limitPrice == price("0.53"))
        #expect(recovered.requested == contracts("10") && recovered.side == .no && recovered.createdNanoseconds == 1)
        #expect(try reopened.events(tricky.clientOrderID).map(\.detail) == ["state=pending (recovered from the intent log)"])
        #expect(try reopened.events("c-1").count == 1, "an order with its row is not written twice")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path + "-intents")).isEmpty, "the log starts empty once recovered")
    }

    @Test("TS-52 signals accepted but killed before their rows: the next start writes them back from the intake log; a torn line is ignored")
    func signalIntakeCrash() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/a/j.sqlite", copy = dir.path + "/b/j.sqlite"
        // Rows held back for an hour: the process is "killed" (its files copied as they are) before they are written.
        let journal = try Journal(path: path, readOnly: false, signalRowDelay: .seconds(3_600))
        let tricky = Journal.AcceptedSignal(id: "s\t1\\", receivedNanoseconds: 5, payload: "{\"a\":\r\n1}", shouldTrade: true)
        let quiet = Journal.AcceptedSignal(id: "q", receivedNanoseconds: 6, payload: "{}", shouldTrade: false, status: "not_traded")
        #expect(try journal.acceptSignals([tricky, tricky, quiet]) == [true, false, true])
        #expect(try journal.acceptSignals([tricky]) == [false], "refused again while its row is still to be written")
        journal.setSignalStatusSoon([tricky.id], "filled")  // its outcome, lost with the process below
        try FileManager.default.createDirectory(atPath: dir.path + "/b", withIntermediateDirectories: true)
        for suffix in ["", "-wal", "-signals"] where FileManager.default.fileExists(atPath: path + suffix) {
            try FileManager.default.copyItem(atPath: path + suffix, toPath: copy + suffix)
        }
        let handle = try #require(FileHandle(forWritingAtPath: copy + "-signals"))
        handle.seekToEndOfFile()
        handle.write(Data("s1\ttorn\t7\t1\tacc".utf8))  // killed in the middle of this line: never acknowledged
        try handle.close()

        let reopened = try Journal(path: copy)
        #expect(try reopened.signalCount() == 0, "not in SQLite before the start's recovery")
        try reopened.recoverIntents()
        #expect(try reopened.pendingSignals().map(\.id) == [tricky.id])
        #expect(try reopened.signal(tricky.id)?.payload == tricky.payload)
        #expect(try reopened.signalStatusCounts() == ["accepted": 1, "not_traded": 1])
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy + "-signals")).isEmpty, "the log starts empty once recovered")
        #expect(try reopened.acceptSignals([tricky, quiet]) == [false, false], "accepted once, across the crash")
        try reopened.recordSignal(id: "r", receivedNanoseconds: 8, payload: "{}", shouldTrade: true, status: "rejected")
        #expect(try reopened.acceptSignals([Journal.AcceptedSignal(id: "r", receivedNanoseconds: 9, payload: "{}", shouldTrade: true)]) == [false],
                "a signal recorded otherwise is known too")
        #expect(try journal.signalCount() == 2, "the first journal writes its rows before anyone reads")
        #expect(try journal.signalStatusCounts() == ["filled": 1, "not_traded": 1], "and the outcomes after them")
    }

    @Test("accepted signals' rows follow on the journal's thread without a reader asking; a second process sees them")
    func signalRowsFollow() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/j.sqlite"
        let journal = try Journal(path: path)
        #expect(try journal.acceptSignals([Journal.AcceptedSignal(id: "x", receivedNanoseconds: 1, payload: "{}", shouldTrade: true)]) == [true])
        let reader = try Journal(path: path, readOnly: true)
        // Each within 30 s: a full test run on two cores has left this test's task unscheduled for seconds.
        var deadline = ContinuousClock.now + .seconds(30)
        while try reader.signalCount() == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(try reader.signalCount() == 1)
        journal.setSignalStatusSoon(["x"], "filled")
        deadline = ContinuousClock.now + .seconds(30)
        while try reader.signalStatusCounts()["filled"] == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(try reader.signalStatusCounts() == ["filled": 1], "an outcome follows unasked too")
        withExtendedLifetime(journal) {}
    }

    @Test("signals accepted, their outcomes recorded and their rows written from many threads at once: every row and outcome once")
    func signalRowsConcurrently() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite", readOnly: false, signalRowDelay: .milliseconds(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<150 {
                        let id = "w\(worker)-\(index)"
                        #expect(try journal.acceptSignals([Journal.AcceptedSignal(id: id, receivedNanoseconds: Int64(index), payload: "{}",
                                                                                  shouldTrade: true)]) == [true])
                        journal.setSignalStatusSoon([id], "done")
                        if index % 7 == worker { try journal.writeWaitingSignals() }
                        if index % 11 == worker { try journal.setSignalStatus([id], "done") }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try journal.signalStatusCounts() == ["done": 1_200])
    }

    @Test("signal intake lines round-trip every field; malformed lines are no signal")
    func signalLines() {
        let signal = Journal.AcceptedSignal(id: "a\\b\tc", receivedNanoseconds: -3, payload: "{\"x\":\"\\n\"}\n", shouldTrade: false, status: "not_traded")
        let line = signal.logLine
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        #expect(Journal.AcceptedSignal(logLine: line.dropLast()) == signal)
        for bad in ["", "s1\tx", "s1\t\t1\t1\taccepted\t{}", "s1\tx\tnan\t1\taccepted\t{}", "s1\tx\t1\t2\taccepted\t{}", "s2\tx\t1\t1\taccepted\t{}"] {
            #expect(Journal.AcceptedSignal(logLine: Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test("intent lines round-trip every field, escapes included")
    func intentLines() {
        var order = Self.order("a\\b\tc\nd\re")
        order.signalID = nil
        let line = order.logLine
        #expect(line.filter { $0 == "\n" }.count == 1 && line.hasSuffix("\n"))
        #expect(JournalOrder(logLine: line.dropLast()) == order)
        #expect(JournalOrder(logLine: "v2\tx") == nil && JournalOrder(logLine: "") == nil)
    }

    @Test("state changes are journaled with an append-only event trail")
    func events() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        try journal.insert(Self.order("c-1"))
        try journal.update("c-1", state: .submitted, at: 2, event: "submit")
        try journal.update("c-1", state: .resting, venueOrderID: "ord-9", at: 3, event: "ack")
        try journal.update("c-1", state: .filled, filled: contracts("10"), at: 4, event: "fill", detail: "fill_id=f-1")
        #expect(try journal.events("c-1").map(\.event) == ["created", "submit", "ack", "fill"])
        #expect(try journal.order("c-1")?.venueOrderID == "ord-9")
        #expect(try journal.order("c-1")?.filled == contracts("10"))
        #expect(try journal.nonTerminalOrders().isEmpty)
    }

    @Test("TS-15 a fill id is journaled once; batches report how many were new")
    func uniqueFills() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        try journal.insert(Self.order("c-1"))
        #expect(try journal.record(Self.fill("f-1", order: "c-1")))
        #expect(try !journal.record(Self.fill("f-1", order: "c-1")), "the same fill from REST after the WebSocket")
        #expect(try journal.record([Self.fill("f-1", order: "c-1"), Self.fill("f-2", order: "c-1", "6")]) == 1)
        #expect(try journal.fills("c-1").map(\.fillID) == ["f-1", "f-2"])
    }

    @Test("TS-19 a manual halt persisted in the journal survives a restart")
    func haltSurvivesRestart() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/j.sqlite"
        var breaker = CircuitBreaker(nowMs: 1_795_000_000_000)
        breaker.halt(reason: "operator: news pending")
        try Journal(path: path).saveBreaker(breaker.snapshot, at: 1)
        let restored = try #require(try Journal(path: path).loadBreaker())
        var restarted = CircuitBreaker(restoring: restored, nowMs: 1_795_000_100_000)
        let order = BreakerOrder(ticker: "KX", eventTicker: "E", positionChange: contracts("1"), risk: Dollars(micros: 10_000))
        guard case let .failure(denial) = restarted.check(order, nowMs: 1_795_000_100_000) else { Issue.record("allowed after restart"); return }
        #expect(denial.code == .manualHalt)
    }

    @Test("denials and positions are recorded")
    func denialsAndPositions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(path: dir.path + "/j.sqlite")
        try journal.record(BreakerDenial(.positionSizeExceedsLimit, [(key: "contracts", value: "150.00")]), ticker: "KX", at: 1)
        try journal.record(BreakerDenial(.positionSizeExceedsLimit, []), ticker: "KX", at: 2)
        #expect(try journal.denialCounts() == ["POSITION_SIZE_EXCEEDS_LIMIT": 2])
        try journal.setPosition(ticker: "KX", eventTicker: "E", position: contracts("-4"), at: 1)
        try journal.setPosition(ticker: "KX", eventTicker: "E", position: contracts("6"), at: 2)
        #expect(try journal.positions() == ["KX": contracts("6")])
    }
}
