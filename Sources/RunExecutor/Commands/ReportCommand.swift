import ArgumentParser
import Execution
import Foundation

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print P&L, orders and fills, fill rate and latency percentiles from the journal.")
    @Option(help: ArgumentHelp("Journal database path (default JOURNAL_PATH or data/executor.sqlite).", valueName: "path"))
    var journal: String?
    @Option(help: "How many recent orders to list.") var limit = 50
    @Flag(help: "Machine-readable output.") var json = false

    func run() async throws {
        let path = journal ?? ProcessInfo.processInfo.environment["JOURNAL_PATH"] ?? "data/executor.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            printError("report: no journal at \(path) (run-executor writes one; --journal PATH names another)")
            throw ExitStatus.failure.exitCode
        }
        let report = try Journal(path: path).report(limit: limit)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        print("journal \(path)")
        print("orders \(report.orderCount), with fills \(report.filledOrderCount), fill rate \(String(format: "%.1f", report.fillRate * 100))%")
        print("cash flow \(report.cashFlow) (sells − buys, before fees), fees \(report.fees)"
              + (report.meanDivergence.map { ", mean fill − expected \($0)" } ?? ""))
        if !report.positions.isEmpty {
            print("positions " + report.positions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        if !report.denials.isEmpty {
            print("denials " + report.denials.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for latency in report.latencies {
            print("latency \(latency.stage): n=\(latency.count) p50=\(latency.p50Microseconds)µs p90=\(latency.p90Microseconds)µs p99=\(latency.p99Microseconds)µs")
        }
        for order in report.orders {
            print("\(order.clientOrderID) \(order.action) \(order.side) \(order.ticker) \(order.requested) @ \(order.limit) → \(order.state) "
                  + "filled=\(order.filled)" + (order.errorCode.map { " error=\($0)" } ?? ""))
            for fill in order.fills {
                print("    fill \(fill.fillID) \(fill.contracts) @ \(fill.price) fee \(fill.fee) \(fill.role)"
                      + (fill.expectedPrice.map { " expected \($0)" } ?? ""))
            }
        }
    }
}
