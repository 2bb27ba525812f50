import ExecutorTesting
import Foundation
import Testing

@Suite("run-executor watch")
struct WatchCLITests {
    @Test("with no configuration it watches the embedded simulator: --json prints JSON lines with every field, trades with --trades")
    func embedded() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["watch", "KXNFL-26JAN11-BUF", "KXHIGHNY-26JAN11-T60", "--trades", "--json", "--duration", "2"],
                                                      workingDirectory: dir.path)
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

    @Test("TS-68 watch for humans by default: a table per ticker with bid, ask, sizes, spread, last trade and state, redrawn as the book moves")
    func humanTable() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["watch", "KXNFL-26JAN11-BUF", "KXHIGHNY-26JAN11-T60", "--trades", "--duration", "3"],
                                                      workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("{\"type\""), "no JSON without --json")
        let tables = result.stdout.components(separatedBy: "watch ").filter { $0.contains("UTC (YES side; Ctrl-C to stop)") }
        #expect(tables.count >= 2, "redrawn: \(tables.count) table(s)")
        let last = try #require(tables.last)
        #expect(last.contains("market") && last.contains("bid size") && last.contains("spread") && last.contains("last trade") && last.contains("state"))
        for ticker in ["KXNFL-26JAN11-BUF", "KXHIGHNY-26JAN11-T60"] {
            let row = try #require(last.split(separator: "\n").first { $0.hasPrefix(ticker) }, "\(ticker) row in \(last)")
            let cells = row.split(separator: " ", omittingEmptySubsequences: true)
            // market, bid size, bid, ask, ask size, spread, …, state
            let bid = try #require(Decimal(string: String(cells[2]))), ask = try #require(Decimal(string: String(cells[3])))
            #expect(bid < ask && Decimal(string: String(cells[5])) == ask - bid, "\(row)")
            #expect(row.hasSuffix("live"), "\(row)")
        }
        #expect(result.stdout.contains(" @ ") && result.stdout.contains("s ago"), "a last trade within 3 s of synthetic activity")
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
