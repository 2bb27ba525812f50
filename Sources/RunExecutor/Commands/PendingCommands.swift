import ArgumentParser

/// Says plainly that a command is not built yet, and which issue brings it; exits 1. No fake output.
func notYetImplemented(_ command: String, issue: Int?, _ what: String) throws -> Never {
    let when = issue.map { "it lands with issue #\($0)" } ?? "it is part of the second phase (DESIGN.md §6)"
    printError("run-executor \(command): not implemented yet — \(when) (\(what)).")
    throw ExitStatus.failure.exitCode
}

struct Order: AsyncParsableCommand {
    enum Intent: String, ExpressibleByArgument, CaseIterable {
        case buyYes = "buy-yes", buyNo = "buy-no", sellYes = "sell-yes", sellNo = "sell-no"
    }
    enum TimeInForce: String, ExpressibleByArgument, CaseIterable {
        case ioc, fok, gtc
    }

    static let configuration = CommandConfiguration(
        abstract: "Place one manual order through the breaker, journal and executor.",
        discussion: "Example: run-executor order buy-yes KXNFL-26JAN11-BUF --count 10 --price 0.52 --tif ioc"
    )
    @OptionGroup var options: ConfigOptions
    @Argument(help: "buy-yes, buy-no, sell-yes or sell-no.") var intent: Intent
    @Argument(help: "Kalshi market ticker.") var ticker: String
    @Option(help: "Contracts (fixed-point, e.g. 10 or 2.5).") var count: String
    @Option(help: "Limit price in dollars of the traded outcome (e.g. 0.52).") var price: String
    @Option(help: "Time in force: ioc, fok or gtc.") var tif: TimeInForce = .ioc

    func run() async throws {
        try notYetImplemented("order", issue: 6, "manual orders through breaker, journal and executor")
    }
}

struct CancelAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel-all", abstract: "Cancel every resting order on the trading venue.")
    @OptionGroup var options: ConfigOptions
    func run() async throws { try notYetImplemented("cancel-all", issue: 6, "venue account commands") }
}

struct Positions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show positions on the trading venue.")
    @OptionGroup var options: ConfigOptions
    @Flag(help: "Machine-readable output.") var json = false
    func run() async throws { try notYetImplemented("positions", issue: 6, "venue account commands") }
}

struct Balance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the trading account's balance.")
    @OptionGroup var options: ConfigOptions
    func run() async throws { try notYetImplemented("balance", issue: 6, "venue account commands") }
}

struct Orders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List orders on the trading venue.")
    @OptionGroup var options: ConfigOptions
    func run() async throws { try notYetImplemented("orders", issue: 6, "venue account commands") }
}

struct Trader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run as a remote trader connected to a controller.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "Platform this trader executes on (kalshi or polymarket).") var platform: String
    func run() async throws { try notYetImplemented("trader", issue: nil, "remote traders") }
}
