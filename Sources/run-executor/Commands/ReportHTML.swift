import Execution
import Foundation
import Markets

/// `report --html FILE`: one self-contained HTML document (inline CSS, inline SVG plots, no script, nothing
/// fetched from anywhere) with the report's tables and four plots: cumulative realised P&L over time, the
/// latency distribution per stage, fill rate by market, and fill price minus the price the signal expected
/// (the paper/demo-versus-production divergence of hybrid runs).
enum ReportHTML {
    static func render(report: JournalReport, series: JournalSeries, journal: String, markNote: String?) -> String {
        var body = "<h1>run-executor report</h1><p class=\"muted\">journal \(journal.htmlEscaped) · generated \(Date().ISO8601Format())"
            + (markNote.map { " · marks: \($0.htmlEscaped)" } ?? "") + "</p>"
        let pnl = report.pnl
        body += section("P&amp;L", table(["realised (fees included)", "unrealised", "total", "fees paid", "orders", "with fills", "fill rate"],
                                           [[pnl.realizedPnl, pnl.unrealizedPnl ?? "unknown", pnl.totalPnl ?? "unknown", pnl.fees,
                                             String(report.orderCount), String(report.filledOrderCount), String(format: "%.1f%%", report.fillRate * 100)]],
                                           numeric: [0, 1, 2, 3, 4, 5, 6]))
        body += section("Cumulative realised P&amp;L", cumulativePnL(series.realized))
        if !pnl.markets.isEmpty {
            body += section("P&amp;L per market", table(
                ["market", "position", "avg cost", "realised", "unrealised", "mark", "mark source", "fees"],
                pnl.markets.map { [Report.short($0.ticker), $0.position + ($0.side.map { " " + $0.uppercased() } ?? ""), $0.averageCost ?? "-", $0.realizedPnl,
                                   $0.unrealizedPnl ?? "-", $0.mark ?? "-", $0.markSource ?? "-", $0.fees] }, numeric: [1, 2, 3, 4, 5, 7]))
        }
        if !pnl.days.isEmpty {
            body += section("P&amp;L per day (UTC)", table(["day", "realised", "fees", "orders", "filled", "contracts"],
                                                          pnl.days.map { [$0.day, $0.realizedPnl, $0.fees, String($0.orders), String($0.filledOrders), $0.contracts] },
                                                          numeric: [1, 2, 3, 4, 5]))
        }
        body += section("Latency distribution", latency(series.latencies, report.latencies))
        body += section("Fill rate by market", fillRates(series.fillsByMarket))
        body += section("Fill price − expected price", divergence(series.divergences, mean: report.meanDivergence))
        if !report.denials.isEmpty {
            body += section("Denials by code", table(["code", "count"], report.denials.sorted { $0.value > $1.value }.map { [$0.key, String($0.value)] },
                                                      numeric: [1]))
        }
        if !report.arbs.isEmpty {
            body += section("Arbitrage", table(["time", "arb", "pair", "outcome", "legs", "realised", "exposure", "reason"], report.arbs.map { arb in
                [arb.time, arb.arbID, arb.pairID, arb.outcome,
                 arb.legs.map { "\($0.platform) \($0.side) \($0.filled)/\($0.contracts)" + ($0.averagePrice.map { " @ \($0)" } ?? "") }.joined(separator: "; "),
                 arb.realizedPnl, arb.exposure, arb.reason]
            }, numeric: [5, 6]))
        }
        if !report.orders.isEmpty {
            body += section("Recent orders", table(["order", "market", "order", "state", "filled", "fills"], report.orders.map { order in
                [order.clientOrderID, Report.short(order.ticker), "\(order.action) \(order.side) \(order.requested) @ \(order.limit)",
                 order.state + (order.errorCode.map { " (\($0))" } ?? ""), order.filled,
                 order.fills.map { "\($0.contracts) @ \($0.price) fee \($0.fee)" + ($0.expectedPrice.map { " exp \($0)" } ?? "") }.joined(separator: "; ")]
            }, numeric: [4]))
        }
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>run-executor report</title>
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <style>\(css)</style></head><body>\(body)</body></html>
            """
    }

    static let css = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1rem 2rem 3rem;color:#1d2330}h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.6rem}
        table{border-collapse:collapse;margin:.3rem 0}th,td{padding:.2rem .6rem;border-bottom:1px solid #e5e7eb;text-align:left;white-space:nowrap}
        th{color:#4b5563;font-size:.85rem}.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#6b7280}
        svg{background:#fafbfc;border:1px solid #e5e7eb;border-radius:6px;margin:.3rem 1rem .3rem 0}svg text{font:11px system-ui,sans-serif;fill:#374151}
        """

    static func section(_ title: String, _ content: String) -> String { "<section><h2>\(title)</h2>\(content)</section>" }

    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        func cells(_ values: [String], tag: String) -> String {
            values.enumerated().map { "<\(tag)\(numeric.contains($0.offset) ? " class=\"num\"" : "")>\($0.element.htmlEscaped)</\(tag)>" }.joined()
        }
        return "<table><thead><tr>\(cells(header, tag: "th"))</tr></thead><tbody>"
            + rows.map { "<tr>\(cells($0, tag: "td"))</tr>" }.joined() + "</tbody></table>"
    }

    static func dollars(_ micros: Int64) -> String { Dollars(micros: micros).wireString }

    static func time(_ nanoseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(nanoseconds) / 1e9).ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: false))
    }

    /// A step line of realised P&L summed over time, with the zero line and the extremes labelled.
    static func cumulativePnL(_ points: [JournalSeries.Point]) -> String {
        guard let first = points.first, let last = points.last else { return "<p class=\"muted\">nothing realised yet</p>" }
        var running: Int64 = 0
        let cumulative = points.map { point -> (Int64, Int64) in
            running = running.addingReportingOverflow(point.micros).overflow ? running : running + point.micros
            return (point.nanoseconds, running)
        }
        let (width, height, left, right, top, bottom) = (760.0, 240.0, 70.0, 20.0, 16.0, 34.0)
        let low = min(0, cumulative.map(\.1).min() ?? 0), high = max(0, cumulative.map(\.1).max() ?? 0)
        let span = Double(max(1, high - low)), duration = Double(max(1, last.nanoseconds - first.nanoseconds))
        func x(_ ns: Int64) -> Double { left + (width - left - right) * Double(ns - first.nanoseconds) / duration }
        func y(_ micros: Int64) -> Double { top + (height - top - bottom) * (1 - Double(micros - low) / span) }
        var path = "M\(fmt(x(first.nanoseconds))),\(fmt(y(0)))"
        for (ns, value) in cumulative { path += " H\(fmt(x(ns))) V\(fmt(y(value)))" }
        let final = cumulative.last?.1 ?? 0
        return svg(width, height, """
            <line x1="\(left)" x2="\(width - right)" y1="\(fmt(y(0)))" y2="\(fmt(y(0)))" stroke="#9ca3af" stroke-dasharray="4 3"/>
            <path d="\(path)" fill="none" stroke="\(final < 0 ? "#b42318" : "#067647")" stroke-width="2"/>
            <text x="4" y="\(fmt(y(high) + 4))">\(dollars(high))</text><text x="4" y="\(fmt(y(low) + 4))">\(dollars(low))</text>
            <text x="4" y="\(fmt(y(0) + 4))">0</text>
            <text x="\(left)" y="\(height - 10)">\(time(first.nanoseconds))</text>
            <text x="\(width - right)" y="\(height - 10)" text-anchor="end">\(time(last.nanoseconds))</text>
            """, label: "cumulative realised P&L, final \(dollars(final)) over \(points.count) realisation(s)")
    }

    /// Per stage, a histogram over doubling buckets (µs), p50/p99 marked in the caption.
    static func latency(_ samples: [String: [Int64]], _ percentiles: [JournalReport.Latency]) -> String {
        let stages = LatencyStage.allCases.map(\.rawValue).filter { !(samples[$0] ?? []).isEmpty }
        guard !stages.isEmpty else { return "<p class=\"muted\">no orders with timings yet</p>" }
        var out = ""
        for stage in stages {
            let values = samples[stage] ?? []
            var buckets: [Int: Int] = [:]
            for value in values { buckets[max(0, Int(log2(Double(max(1, value))))), default: 0] += 1 }
            let lowest = buckets.keys.min() ?? 0, highest = buckets.keys.max() ?? 0
            let counts = (lowest...highest).map { buckets[$0] ?? 0 }
            let most = Double(counts.max() ?? 1)
            let (width, height, bottom) = (380.0, 170.0, 38.0)
            let slot = (width - 20) / Double(counts.count)
            var bars = ""
            for (index, count) in counts.enumerated() {
                let barHeight = (height - bottom - 14) * Double(count) / most
                let x = 10 + Double(index) * slot
                bars += "<rect x=\"\(fmt(x + 1))\" y=\"\(fmt(height - bottom - barHeight))\" width=\"\(fmt(max(1, slot - 2)))\" height=\"\(fmt(barHeight))\" fill=\"#3b82f6\"><title>\(1 << (lowest + index))–\(1 << (lowest + index + 1)) µs: \(count)</title></rect>"
                if counts.count <= 12 || index % 2 == 0 {
                    bars += "<text x=\"\(fmt(x + slot / 2))\" y=\"\(fmt(height - bottom + 13))\" text-anchor=\"middle\">\(compact(1 << (lowest + index)))</text>"
                }
            }
            let line = percentiles.first { $0.stage == stage }
            let caption = "\(stage) n=\(values.count)" + (line.map { " p50 \($0.p50Microseconds) µs · p99 \($0.p99Microseconds) µs" } ?? "")
            out += svg(width, height, bars + "<text x=\"10\" y=\"\(height - 6)\">\(caption.htmlEscaped)</text>", label: caption)
        }
        return out
    }

    static func compact(_ microseconds: Int) -> String {
        microseconds >= 1_000_000 ? "\(microseconds / 1_000_000)s" : microseconds >= 1_000 ? "\(microseconds / 1_000)ms" : "\(microseconds)µs"
    }

    /// One horizontal bar per market: orders with a fill over orders that reached the venue.
    static func fillRates(_ markets: [JournalSeries.MarketFills]) -> String {
        let shown = markets.filter { $0.sent > 0 }
        guard !shown.isEmpty else { return "<p class=\"muted\">no order reached a venue yet</p>" }
        let row = 22.0, width = 760.0, label = 250.0
        var bars = ""
        for (index, market) in shown.enumerated() {
            let rate = Double(market.filled) / Double(market.sent)
            let y = 8 + Double(index) * row
            bars += "<text x=\"6\" y=\"\(fmt(y + 13))\">\(Report.short(market.ticker).htmlEscaped)</text>"
                + "<rect x=\"\(label)\" y=\"\(fmt(y + 2))\" width=\"\(fmt((width - label - 120) * rate))\" height=\"14\" fill=\"#10b981\"/>"
                + "<text x=\"\(fmt(label + (width - label - 120) * rate + 6))\" y=\"\(fmt(y + 13))\">\(String(format: "%.0f%%", rate * 100)) (\(market.filled)/\(market.sent))</text>"
        }
        return svg(width, 16 + Double(shown.count) * row, bars, label: "fill rate by market")
    }

    /// A histogram of fill − expected, in cents: what paper/demo fills cost against production's price.
    static func divergence(_ points: [JournalSeries.Divergence], mean: String?) -> String {
        guard !points.isEmpty else {
            return "<p class=\"muted\">no fill recorded an expected price (only hybrid runs and signals with a price record one)</p>"
        }
        var buckets: [Int64: Int] = [:]
        for point in points { buckets[point.micros >= 0 ? point.micros / 10_000 : (point.micros - 9_999) / 10_000, default: 0] += 1 }
        let lowest = min(buckets.keys.min() ?? 0, -1), highest = max(buckets.keys.max() ?? 0, 1)
        let keys = Array(lowest...highest)
        let most = Double(buckets.values.max() ?? 1)
        let (width, height, bottom) = (760.0, 200.0, 40.0)
        let slot = (width - 20) / Double(keys.count)
        var bars = ""
        for (index, key) in keys.enumerated() {
            let count = buckets[key] ?? 0
            let barHeight = (height - bottom - 14) * Double(count) / most
            let x = 10 + Double(index) * slot
            bars += "<rect x=\"\(fmt(x + 1))\" y=\"\(fmt(height - bottom - barHeight))\" width=\"\(fmt(max(1, slot - 2)))\" height=\"\(fmt(barHeight))\" fill=\"\(key < 0 ? "#10b981" : key == 0 ? "#9ca3af" : "#ef4444")\"><title>\(key)¢: \(count)</title></rect>"
            if keys.count <= 25 || index % 5 == 0 {
                bars += "<text x=\"\(fmt(x + slot / 2))\" y=\"\(fmt(height - bottom + 13))\" text-anchor=\"middle\">\(key)¢</text>"
            }
        }
        let caption = "\(points.count) fill(s); mean fill − expected \(mean ?? "-") (positive: paid more than the data venue's price)"
        return svg(width, height, bars + "<text x=\"10\" y=\"\(height - 6)\">\(caption.htmlEscaped)</text>", label: caption)
    }

    static func svg(_ width: Double, _ height: Double, _ content: String, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" "
            + "role=\"img\" aria-label=\"\(label.htmlEscaped)\">\(content)</svg>"
    }

    static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
}
