import ArgumentParser

/// Says plainly that a command is not built yet, and which issue brings it; exits 1. No fake output.
func notYetImplemented(_ command: String, issue: Int?, _ what: String) throws -> Never {
    let when = issue.map { "it lands with issue #\($0)" } ?? "it is part of the second phase (DESIGN.md §6)"
    printError("run-executor \(command): not implemented yet — \(when) (\(what)).")
    throw ExitStatus.failure.exitCode
}

struct Trader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run as a remote trader connected to a controller.")
    @OptionGroup var options: ConfigOptions
    @Option(help: "Platform this trader executes on (kalshi or polymarket).") var platform: String
    func run() async throws { try notYetImplemented("trader", issue: nil, "remote traders") }
}
