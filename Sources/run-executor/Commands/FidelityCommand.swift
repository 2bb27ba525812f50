import ArgumentParser
import Foundation
import Markets
import PaperFidelity

struct Fidelity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how closely paper trading matches a venue: one seeded stream, paper and venue side by side.",
        discussion: """
            Starts two simulators in this process: a production-like one whose books the paper executor \
            trades on, and a demo venue mirroring it (the same seeded participants, stepped together). One \
            seeded signal stream (buys that take the best ask, some walking a tick deeper, and passive bids \
            that rest for a few seconds) goes to the paper executor and to the Kalshi executor on the demo \
            venue at the same moment. Prints fill rate, average fill price and slippage for both, their \
            differences, and whether they are within 2 percentage points and $0.002. Exit 0 either way; \
            --strict exits 1 when they are not.
            """)

    @Option(help: ArgumentHelp("Seconds to run.", valueName: "seconds")) var duration = 60
    @Option(help: "Seed of the signal stream and of both venues' participants.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Share of signals that rest passively at the bid, in percent (the rest take liquidity).", valueName: "percent"))
    var passive = 40
    @Flag(help: "Paper without queue position, crossing quotes, self-impact and self-trade prevention (the earlier, optimistic model), for comparison.")
    var optimisticPaper = false
    @Flag(help: "Machine-readable output (one JSON object).") var json = false
    @Flag(help: "Exit 1 when paper is outside the tolerance.") var strict = false

    func validate() throws {
        try CLIRange.check("--duration", duration, 5...86_400)
        try CLIRange.check("--passive", passive, 0...100)
    }

    func run() async throws {
        var settings = FidelitySettings()
        settings.duration = .seconds(duration)
        settings.seed = seed
        settings.passivePercent = passive
        settings.paper.modelsQueue = !optimisticPaper
        if !json { print("fidelity: \(duration) s, seed \(seed): paper (book model) on a production-like simulator vs the Kalshi executor on a mirrored demo venue") }
        let report: FidelityReport
        do {
            report = try await FidelityRun.run(settings) { line in if !json { log(line) } }
        } catch {
            printError("fidelity: \(error)")
            throw ExitStatus.failure.exitCode
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(FidelityJSON(report)), as: UTF8.self))
        } else {
            print(Self.table(report))
        }
        if strict, !report.withinTolerance { throw ExitStatus.failure.exitCode }
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

    static func signed(_ value: Dollars?) -> String {
        guard let value else { return "-" }
        return value.micros > 0 ? "+" + value.wireString : value.wireString
    }

    static func difference(_ paper: Dollars?, _ venue: Dollars?) -> String {
        guard let paper, let venue else { return "-" }
        return signed(Dollars(micros: paper.micros - venue.micros))
    }

    static func table(_ report: FidelityReport) -> String {
        func rows(_ label: String, _ paper: FidelityStats, _ venue: FidelityStats) -> [[String]] {
            [
                ["\(label) orders", String(paper.orders), String(venue.orders), ""],
                ["\(label) fill rate (contracts)", percent(paper.fillRate), percent(venue.fillRate),
                 String(format: "%+.2f pp", (paper.fillRate - venue.fillRate) * 100)],
                ["\(label) orders with a fill", percent(paper.orderFillRate), percent(venue.orderFillRate),
                 String(format: "%+.2f pp", (paper.orderFillRate - venue.orderFillRate) * 100)],
                ["\(label) average fill price", paper.averagePrice?.wireString ?? "-", venue.averagePrice?.wireString ?? "-",
                 difference(paper.averagePrice, venue.averagePrice)],
                ["\(label) slippage (fill − expected)", signed(paper.slippage), signed(venue.slippage), difference(paper.slippage, venue.slippage)],
            ]
        }
        let common = [["filled on both: orders", String(report.paperCommon.orders), String(report.venueCommon.orders), ""],
                      ["filled on both: average fill price", report.paperCommon.averagePrice?.wireString ?? "-",
                       report.venueCommon.averagePrice?.wireString ?? "-", difference(report.paperCommon.averagePrice, report.venueCommon.averagePrice)]]
        let table = TextTable(["", "paper", "venue", "paper − venue"],
                              rows("all", report.paper, report.venue) + common + rows("taking", report.paperTaking, report.venueTaking)
                                + rows("passive", report.paperPassive, report.venuePassive),
                              rightAligned: [1, 2, 3]).rendered
        let latency = "paper latency \(report.paperLatencyMicroseconds.lowerBound)–\(report.paperLatencyMicroseconds.upperBound) µs; venue acknowledged p50 "
            + "\(report.venueLatencyP50Microseconds.map { "\($0) µs" } ?? "-"), p90 \(report.venueLatencyP90Microseconds.map { "\($0) µs" } ?? "-")"
        let verdict = report.withinTolerance
            ? "WITHIN tolerance: fill rate within \(String(format: "%.0f", report.maxFillRateGap * 100)) percentage points (gap "
                + "\(String(format: "%.2f", report.fillRateGap * 100))), average fill price and slippage within \(report.maxPriceGap.wireString) (gaps "
                + "\(report.averagePriceGap?.wireString ?? "-") and \(report.slippageGap?.wireString ?? "-"))"
            : "OUTSIDE tolerance (fill rate gap \(String(format: "%.2f", report.fillRateGap * 100)) pp, average price gap "
                + "\(report.averagePriceGap?.wireString ?? "unknown"), slippage gap \(report.slippageGap?.wireString ?? "unknown"); "
                + "limits \(String(format: "%.0f", report.maxFillRateGap * 100)) pp and \(report.maxPriceGap.wireString))"
        return "signals \(report.signals) (taking \(report.taking), passive \(report.passive)), seed \(report.seed); \(latency)\n" + table + "\n" + verdict
    }
}

/// `fidelity --json`.
struct FidelityJSON: Encodable {
    struct Side: Encodable {
        var orders: Int, filledOrders: Int, requested: String, filled: String, fillRate: Double, averagePrice: String?, slippage: String?
        init(_ stats: FidelityStats) {
            orders = stats.orders
            filledOrders = stats.filledOrders
            requested = stats.requested.wireString
            filled = stats.filled.wireString
            fillRate = stats.fillRate
            averagePrice = stats.averagePrice?.wireString
            slippage = stats.slippage?.wireString
        }
    }

    var seed: UInt64, signals: Int, paper: Side, venue: Side, paperTaking: Side, venueTaking: Side, paperPassive: Side, venuePassive: Side
    var paperCommon: Side, venueCommon: Side, paperLatencyMicroseconds: [Int64], venueLatencyP50Microseconds: Int64?
    var fillRateGap: Double, averagePriceGap: String?, slippageGap: String?, withinTolerance: Bool

    init(_ report: FidelityReport) {
        seed = report.seed
        signals = report.signals
        paper = Side(report.paper)
        venue = Side(report.venue)
        paperTaking = Side(report.paperTaking)
        venueTaking = Side(report.venueTaking)
        paperCommon = Side(report.paperCommon)
        venueCommon = Side(report.venueCommon)
        paperLatencyMicroseconds = [report.paperLatencyMicroseconds.lowerBound, report.paperLatencyMicroseconds.upperBound]
        venueLatencyP50Microseconds = report.venueLatencyP50Microseconds
        paperPassive = Side(report.paperPassive)
        venuePassive = Side(report.venuePassive)
        fillRateGap = report.fillRateGap
        averagePriceGap = report.averagePriceGap?.wireString
        slippageGap = report.slippageGap?.wireString
        withinTolerance = report.withinTolerance
    }
}
