import ArgumentParser
import Foundation
import VenueTransport

/// `run-executor`: paper by default, live only after a typed confirmation.
///
/// Exit codes (DESIGN.md §1): 0 success, 2 configuration error (every bad variable named),
/// 3 live confirmation refused, 1 anything else.
@main
struct RunExecutor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-executor",
        abstract: "Paper/live execution of prediction-market arbitrage signals on Kalshi and Polymarket.",
        discussion: """
            With no subcommand, runs the trading loop. With no configuration at all it starts the embedded \
            Kalshi simulator as both the market-data and the trading venue and the Polymarket simulator beside \
            it, and paper-trades its synthetic signals and the arbs a detector finds between the two. Configuration \
            comes from --profile NAME (.env.NAME), --env-file PATH or .env, and the \
            process environment, which overrides the file. See `run-executor config check --help`.

            Exit codes: 0 success, 2 configuration error, 3 live confirmation refused, 1 anything else.
            """,
        subcommands: [
            Run.self, ConfigCommand.self, Order.self, CancelAll.self, Positions.self, Balance.self, Orders.self,
            Report.self, Status.self, Halt.self, Resume.self, Watch.self, Sim.self, Trader.self, Bootstrap.self, Poly.self, Fidelity.self,
        ],
        defaultSubcommand: Run.self
    )

    /// Maps errors onto the documented exit codes; usage mistakes are configuration errors (2).
    static func main() async {
        // Everything this program creates (journal, intent log, keys, token, reports) is private to the
        // user unless a file is made wider on purpose.
        umask(0o077)
        // Before any event loop builds an HTTP pipeline (a runtime race on their first instantiation).
        HTTPPipelineWarmUp.run()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Self.exit(withError: exit)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.configuration.rawValue)
            }
            Self.exit(withError: error)
        }
    }
}

/// The process exit statuses of DESIGN.md §1.
enum ExitStatus: Int32 {
    case success = 0
    case failure = 1
    case configuration = 2
    case liveConfirmationRefused = 3

    var exitCode: ExitCode { ExitCode(rawValue) }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
