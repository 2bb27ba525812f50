import ArgumentParser
import Config

/// `--profile NAME` / `--env-file PATH`, shared by every command that reads the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Load .env.NAME from the working directory.", valueName: "name"))
    var profile: String?

    @Option(name: .customLong("env-file"), help: ArgumentHelp("Load this .env file.", valueName: "path"))
    var envFile: String?

    func validate() throws {
        if profile != nil, envFile != nil {
            throw ValidationError("use either --profile or --env-file, not both")
        }
    }

    var selection: ConfigFileSelection {
        if let profile { return .profile(profile) }
        if let envFile { return .file(envFile) }
        return .automatic
    }

    /// Loads and validates the configuration, printing every problem and exiting 2 when it is invalid.
    func loadReport() throws -> ConfigReport {
        do {
            return try V3Config.load(ConfigEnvironment.load(selection))
        } catch let error as ConfigError {
            printError(error.description)
            throw ExitStatus.configuration.exitCode
        } catch let error as ConfigLoadError {
            printError("configuration: \(error)")
            throw ExitStatus.configuration.exitCode
        } catch let error as DotEnvError {
            printError("configuration: \(error)")
            throw ExitStatus.configuration.exitCode
        }
    }
}
