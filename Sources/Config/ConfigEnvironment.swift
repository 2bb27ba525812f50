import Foundation

/// Where a configuration value came from, for the effective-configuration report.
public enum ConfigOrigin: Hashable, Sendable, CustomStringConvertible {
    case defaultValue
    case file(String)
    case processEnvironment

    public var description: String {
        switch self {
        case .defaultValue: "default"
        case let .file(path): path
        case .processEnvironment: "environment"
        }
    }
}

/// Which file to read the configuration from.
public enum ConfigFileSelection: Hashable, Sendable {
    /// `.env` in the working directory if it exists, else only the process environment.
    case automatic
    /// `--profile NAME`: `.env.NAME` in the working directory; it must exist.
    case profile(String)
    /// `--env-file PATH`: that file; it must exist.
    case file(String)
}

/// The configuration could not be loaded at all (before any variable is checked).
public struct ConfigLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// The raw variables of one run: a `.env` file's values overridden by the process environment.
public struct ConfigEnvironment: Sendable {
    public let values: [String: String]
    public let origins: [String: ConfigOrigin]
    /// The file that was read, if any.
    public let file: String?
    /// Things in the file worth a warning (a key set twice).
    public let warnings: [String]

    public init(values: [String: String], origins: [String: ConfigOrigin] = [:], file: String? = nil, warnings: [String] = []) {
        self.values = values
        self.origins = origins
        self.file = file
        self.warnings = warnings
    }

    /// Loads the selected file and lays the process environment over it: a variable set in the real
    /// environment always wins over the file.
    public static func load(
        _ selection: ConfigFileSelection,
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> ConfigEnvironment {
        let path: String?
        switch selection {
        case .automatic:
            let candidate = (workingDirectory as NSString).appendingPathComponent(".env")
            path = FileManager.default.fileExists(atPath: candidate) ? candidate : nil
        case let .profile(name):
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }) else {
                throw ConfigLoadError("--profile \"\(name)\": a profile name uses letters, digits, - and _ only")
            }
            let candidate = (workingDirectory as NSString).appendingPathComponent(".env.\(name)")
            guard FileManager.default.fileExists(atPath: candidate) else {
                throw ConfigLoadError(
                    "--profile \(name): \(candidate) does not exist (copy env-examples/.env.\(name).example to .env.\(name) and fill it in)")
            }
            path = candidate
        case let .file(file):
            let candidate = (file as NSString).isAbsolutePath ? file : (workingDirectory as NSString).appendingPathComponent(file)
            guard FileManager.default.fileExists(atPath: candidate) else {
                throw ConfigLoadError("--env-file \(file): no such file")
            }
            path = candidate
        }

        var values: [String: String] = [:]
        var origins: [String: ConfigOrigin] = [:]
        var warnings: [String] = []
        // `~/.arb/config.toml` (run-executor bootstrap) first: anything else overrides it.
        if let bootstrap = try BootstrapFile.load(home: processEnvironment["HOME"]), let home = processEnvironment["HOME"] {
            for (key, value) in bootstrap.variables {
                values[key] = value
                origins[key] = .file(BootstrapFile.path(home: home))
            }
        }
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigLoadError("\(path): cannot be read as UTF-8 text")
            }
            let display = selection == .automatic ? ".env" : path
            let parsed = try DotEnv.parseReportingDuplicates(text, source: display)
            for (key, value) in parsed.values {
                values[key] = value
                origins[key] = .file(display)
            }
            warnings = parsed.duplicates.map(\.description)
        }
        for (key, value) in processEnvironment where V3Config.knownVariables.contains(key) {
            values[key] = value
            origins[key] = .processEnvironment
        }
        return ConfigEnvironment(values: values, origins: origins, file: path, warnings: warnings)
    }

    /// Whether any variable this program reads is set (non-empty).
    public var isEmpty: Bool {
        !V3Config.knownVariables.contains { !(values[$0] ?? "").isEmpty }
    }

    /// Whether no variable names a venue, a mode or credentials (`V3Config.venueVariables`). Then
    /// `run-executor` runs the embedded simulator default, with whatever else is set (risk limits, the
    /// journal, the loop's pace…) applied to it.
    public var namesNoVenue: Bool {
        !V3Config.venueVariables.contains { !(values[$0] ?? "").isEmpty }
    }
}
