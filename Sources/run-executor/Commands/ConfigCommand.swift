import ArgumentParser
import Config

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the configuration.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and print the effective settings (secrets redacted).",
            discussion: """
                Prints what the run would do (paper, demo or live; which venues), every variable with its \
                effective value and where it came from, and any warnings. Exits 0 when the configuration is \
                valid, or prints every problem (each naming its variable) and exits 2.
                """
        )

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let report = try options.loadReport()
            print(report.rendered())
            print("\nConfiguration OK.")
        }
    }
}
