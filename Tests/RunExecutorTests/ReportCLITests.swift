import ExecutorTesting
import Foundation
import Testing

/// `report` as a trader reads it: tables, and one HTML file with plots.
@Suite("run-executor report: tables and HTML")
struct ReportCLITests {
    /// A short embedded run with a tight order rate, so the journal holds trades, fills and denials.
    static func journalWithDenials(_ dir: TemporaryDirectory) async throws -> CLIResult {
        let run = try await CLIProcess.runDetached(["--duration", "5"], environment: ["MAX_ORDERS_PER_MINUTE": "3"], workingDirectory: dir.path)
        #expect(run.status == 0, "\(run.stderr)")
        return run
    }

    /// The rows under the header line that starts with `header`, up to the next blank line.
    static func table(_ output: String, header: String) -> [String]? {
        let lines = output.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix(header) }), start + 1 < lines.count, lines[start + 1].hasPrefix("─") else { return nil }
        return Array(lines[(start + 2)...].prefix { !$0.isEmpty })
    }

    @Test("TS-69 report prints aligned tables: P&L, per market, per day, totals, denials by code, latency percentiles, orders and fills; the run ends with the P&L table")
    func tables() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try await Self.journalWithDenials(dir)
        // The end of a run: its final lines, then the journal's P&L table.
        let tail = run.stdout.components(separatedBy: "cancelled at shutdown:").last ?? ""
        #expect(Self.table(tail, header: "P&L ")?.first?.hasPrefix("all ") == true, "\(tail)")
        #expect(Self.table(tail, header: "market ")?.isEmpty == false, "positions after trades: \(tail)")
        #expect(!run.stdout.contains("CancellationError"))

        let report = try await CLIProcess.runDetached(["report"], workingDirectory: dir.path)
        #expect(report.status == 0, "\(report.stderr)")
        let out = report.stdout
        #expect(Self.table(out, header: "day (UTC)")?.count == 1)
        let denials = try #require(Self.table(out, header: "denial code"), "\(out)")
        #expect(denials.contains { $0.hasPrefix("ORDER_RATE_EXCEEDED") }, "\(denials)")
        let latency = try #require(Self.table(out, header: "latency stage"))
        #expect(latency.contains { $0.hasPrefix("signal_to_submitted") })
        let fills = try #require(Self.table(out, header: "fill time (UTC)"))
        #expect(!fills.isEmpty)
        let orders = try #require(Self.table(out, header: "order "))
        #expect(orders.count == fills.count || orders.count >= 3)
        // Aligned: every row of a table is as wide as its rule, numbers right-aligned to the rule's end.
        let lines = out.components(separatedBy: "\n")
        let rule = try #require(lines.firstIndex { $0.hasPrefix("latency stage") }.map { lines[$0 + 1] })
        for row in latency { #expect(row.count == rule.count, "\(row) vs \(rule)") }
    }

    @Test("TS-70 report --html FILE writes one self-contained file: tables and four plots (cumulative P&L, latency distribution, fill rate by market, fill − expected)")
    func html() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try await Self.journalWithDenials(dir)
        let path = dir.path + "/out/report.html"
        let result = try await CLIProcess.runDetached(["report", "--html", path], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("report written to \(path)"))
        let page = try String(contentsOfFile: path, encoding: .utf8)
        for heading in ["Cumulative realised P&amp;L", "Latency distribution", "Fill rate by market", "Fill price − expected price", "Denials by code",
                        "P&amp;L per market", "Recent orders"] {
            #expect(page.contains("<h2>\(heading)</h2>"), "\(heading)")
        }
        #expect(page.components(separatedBy: "<svg ").count - 1 >= 4, "plots drawn")
        #expect(page.contains("<path d=\"M"), "the P&L line")
        #expect(page.contains("ORDER_RATE_EXCEEDED"))
        #expect(!page.contains("<script") && !page.contains("src=") && !page.contains("<link") && !page.contains("https://"), "self-contained")
        let mode = (try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? Int
        #expect(mode == 0o600, "a report is private like the journal")
        let both = try await CLIProcess.runDetached(["report", "--html", path, "--json"], workingDirectory: dir.path)
        #expect(both.status == 2 && both.stderr.contains("--json and --html are alternatives"), "\(both.stderr)")
    }
}
