import ExecutorTesting
import Foundation
import Testing

@Suite("run-executor watch")
struct WatchCLITests {
    @Test("with no configuration it watches the embedded simulator: JSON lines with every field, trades with --trades")
    func embedded() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["watch", "KXNFL-26JAN11-BUF", "KXHIGHNY-26JAN11-T60", "--trades", "--duration", "2"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let objects = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let books = objects.filter { $0["type"] as? String == "book" }
        #expect(Set(books.compactMap { $0["ticker"] as? String }) == ["KXNFL-26JAN11-BUF", "KXHIGHNY-26JAN11-T60"])
        for book in books {
            for key in ["ticker", "yes_bid", "yes_bid_size", "yes_ask", "yes_ask_size", "seq", "stale"] {
                #expect(book.keys.contains(key), "missing \(key)")
            }
            #expect(book["stale"] as? Bool == false)
            if let bid = book["yes_bid"] as? String, let ask = book["yes_ask"] as? String {
                #expect(Decimal(string: bid)! < Decimal(string: ask)!, "book is crossed")
            }
        }
        #expect(objects.contains { $0["type"] as? String == "trade" }, "synthetic activity trades within 2 s")
    }

    @Test("an unknown ticker is refused with a message naming it")
    func unknownTicker() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["watch", "NOPE-1", "--duration", "2"], workingDirectory: dir.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("NOPE-1"))
    }
}
