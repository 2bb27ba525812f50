import ArgumentParser
import Config
import Coordinator
import DataClient
import Execution
import Foundation
import Markets

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print P&L, orders and fills, fill rate and latency percentiles from the journal.",
        discussion: """
            Reads the journal read-only (a run may be writing it). Realised P&L counts every fee; open \
            positions are marked to the held side's best bid on the data venue's book, read now (unless \
            --offline or there is no configured data venue), else to the last book a run journaled, else \
            to the market's last fill, and the report says which.
            """)
    @OptionGroup var options: ConfigOptions
    @Option(help: ArgumentHelp("Journal database path (default JOURNAL_PATH or data/executor.sqlite).", valueName: "path"))
    var journal: String?
    @Option(help: "How many recent orders to list (0 to 100000).") var limit = 50
    @Flag(help: "Machine-readable output.") var json = false
    @Option(help: ArgumentHelp("Write one self-contained HTML report (tables and plots, no external resources) to this file.", valueName: "file"))
    var html: String?
    @Flag(help: "Do not ask the data venue for current books (mark to the last known prices).") var offline = false

    func validate() throws {
        try CLIRange.check("--limit", limit, 0...100_000)
        if let journal { try CLIRange.checkPath("--journal", journal) }
        if let html { try CLIRange.checkPath("--html", html) }
        if json, html != nil { throw ValidationError("--json and --html are alternatives: choose one") }
    }

    func run() async throws {
        let config = try? V3Config.load(ConfigEnvironment.load(options.selection))
        let path = journal ?? config?.config.journalPath ?? ProcessInfo.processInfo.environment["JOURNAL_PATH"] ?? "data/executor.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            printError("report: no journal at \(path) (run-executor writes one; --journal PATH names another)")
            throw ExitStatus.failure.exitCode
        }
        let store: Journal
        do { store = try Journal(path: path, readOnly: true) } catch {
            printError("report: \(error)")
            throw ExitStatus.failure.exitCode
        }
        var books: [String: BookMark] = [:]
        var markNote: String?
        if !offline, let config, !config.isEmbeddedDefault {
            (books, markNote) = await Self.currentBooks(try store.heldMarkets(), venue: config.config)
        }
        let report = try store.report(limit: limit, currentBooks: books)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        if let html {
            let page = ReportHTML.render(report: report, series: try store.series(), journal: path, markNote: markNote)
            do {
                try AdminFiles.writePrivate(page, to: html)
            } catch {
                printError("report: cannot write \(html): \(error)")
                throw ExitStatus.failure.exitCode
            }
            print("report written to \(html) (\(page.utf8.count) bytes, self-contained)")
            return
        }
        print("journal \(path)")
        Self.printPnL(report.pnl, note: markNote)
        print("")
        print(TextTable(["orders", "with fills", "fill rate", "cash flow (sells − buys)", "fees", "mean fill − expected"],
                        [[String(report.orderCount), String(report.filledOrderCount), String(format: "%.1f%%", report.fillRate * 100),
                          report.cashFlow, report.fees, report.meanDivergence ?? "-"]], rightAligned: [0, 1, 2, 3, 4, 5]).rendered)
        if !report.denials.isEmpty {
            print("")
            print(TextTable(["denial code", "count"], report.denials.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { [$0.key, String($0.value)] },
                            rightAligned: [1]).rendered)
        }
        if !report.latencies.isEmpty {
            print("")
            print(TextTable(["latency stage", "n", "p50 µs", "p90 µs", "p99 µs"],
                            report.latencies.map { [$0.stage, String($0.count), String($0.p50Microseconds), String($0.p90Microseconds), String($0.p99Microseconds)] },
                            rightAligned: [1, 2, 3, 4]).rendered)
        }
        if !report.arbs.isEmpty {
            let legs: (JournalReport.ArbLine) -> String = { arb in
                arb.legs.map { "\($0.platform) \($0.side) \($0.filled)/\($0.contracts)" + ($0.averagePrice.map { " @ \($0)" } ?? "") + " fee \($0.fees)" }
                    .joined(separator: "; ")
            }
            print("")
            print(TextTable(["arb", "pair", "outcome", "legs", "closes", "realised", "exposure", "reason"],
                            report.arbs.map { [$0.arbID, $0.pairID, $0.outcome, legs($0), String($0.closes.count), $0.realizedPnl, $0.exposure,
                                               String($0.reason.prefix(80))] },
                            rightAligned: [4, 5, 6]).rendered)
        }
        if !report.orders.isEmpty {
            print("")
            print(TextTable(["order", "market", "order", "state", "filled", "error"],
                            report.orders.map { [$0.clientOrderID, Self.short($0.ticker), "\($0.action) \($0.side) \($0.requested) @ \($0.limit)", $0.state,
                                                 $0.filled, $0.errorCode ?? ""] },
                            rightAligned: [4]).rendered)
            let fills = report.orders.flatMap { order in order.fills.map { (order, $0) } }
            if !fills.isEmpty {
                print("")
                print(TextTable(["fill time (UTC)", "order", "market", "side", "contracts", "price", "expected", "fee", "role"],
                                fills.map { order, fill in
                                    [fill.time ?? "-", order.clientOrderID, Self.short(order.ticker), order.side, fill.contracts, fill.price,
                                     fill.expectedPrice ?? "-", fill.fee, fill.role]
                                }, rightAligned: [4, 5, 6, 7]).rendered)
            }
        }
    }

    /// The end of a run: the journal's P&L tables (what `report` opens with), marked to the last books the
    /// run journaled.
    static func printFinalTables(journal path: String) {
        guard let store = try? Journal(path: path, readOnly: true), let report = try? store.report(limit: 0, latencies: false) else { return }
        print("")
        print("report of \(path) (run-executor report for everything):")
        printPnL(report.pnl, note: nil)
    }

    /// A Polymarket token id (77 digits) shortened for a table column.
    static func short(_ instrument: String) -> String {
        instrument.count > 24 ? "\(instrument.prefix(10))…\(instrument.suffix(6))" : instrument
    }

    static func printPnL(_ pnl: JournalReport.PnL, note: String?) {
        print("")
        print(TextTable(["P&L", "realised (fees included)", "unrealised", "total", "fees paid"],
                        [["all", pnl.realizedPnl, pnl.unrealizedPnl ?? "unknown (a position has no mark)", pnl.totalPnl ?? "unknown", pnl.fees]],
                        rightAligned: [1, 2, 3, 4]).rendered)
        if let note { print("marks: \(note)") }
        if !pnl.markets.isEmpty {
            print("")
            print(TextTable(["market", "position", "avg cost", "realised", "unrealised", "mark", "mark source", "fees"],
                            pnl.markets.map { [Self.short($0.ticker), $0.position + ($0.side.map { " \($0.uppercased())" } ?? ""), $0.averageCost ?? "-",
                                               $0.realizedPnl, $0.unrealizedPnl ?? "-", $0.mark ?? "-",
                                               markSource($0),
                                               $0.fees] },
                            rightAligned: [1, 2, 3, 4, 5, 7]).rendered)
        }
        if !pnl.days.isEmpty {
            print("")
            print(TextTable(["day (UTC)", "realised", "fees", "orders", "filled", "contracts"],
                            pnl.days.map { [$0.day, $0.realizedPnl, $0.fees, String($0.orders), String($0.filledOrders), $0.contracts] },
                            rightAligned: [1, 2, 3, 4, 5]).rendered)
        }
    }

    static func markSource(_ market: JournalReport.MarketPnL) -> String {
        guard let source = market.markSource else { return "-" }
        return market.markTime.map { "\(source) \($0)" } ?? source
    }

    /// The data venue's current books of `tickers` (what positions are marked to), or why not.
    static func currentBooks(_ tickers: [String], venue config: V3Config) async -> ([String: BookMark], String?) {
        guard !tickers.isEmpty else { return ([:], nil) }
        let client = KalshiDataClient(transport: Venues.transport(config.data, tier: config.rateTier))
        defer { Task { try? await client.shutdown() } }
        var books: [String: BookMark] = [:]
        var failures: [String] = []
        for ticker in tickers {
            do {
                let book = try await client.orderbook(ticker)
                books[ticker] = BookMark(yesBid: book.bestBid(.yes)?.price, noBid: book.bestBid(.no)?.price, nanoseconds: ExecutionService.systemWallClock())
            } catch {
                failures.append("\(ticker): \(error)")
            }
        }
        let host = config.data.apiURL.host ?? "the data venue"
        let note = failures.isEmpty ? "current books from \(host)"
            : "current books from \(host) unavailable for \(failures.joined(separator: "; ")); those marked to the last known price"
        return (books, note)
    }
}

/// Columns of text aligned for a terminal.
struct TextTable {
    let header: [String]
    let rows: [[String]]
    /// Columns (by index) whose values align right (numbers).
    let rightAligned: Set<Int>

    init(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) {
        self.header = header
        self.rows = rows
        self.rightAligned = rightAligned
    }

    var rendered: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: max(0, widths[index] - cell.count))
                return rightAligned.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}
