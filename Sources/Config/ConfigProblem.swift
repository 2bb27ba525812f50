/// One thing wrong with the configuration: which variable, and what.
public struct ConfigProblem: Hashable, Sendable, CustomStringConvertible {
    public let variable: String
    public let message: String

    public init(variable: String, message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String { "\(variable): \(message)" }
}

/// The configuration is invalid. Carries every problem found, not just the first.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let problems: [ConfigProblem]

    public var description: String {
        "configuration has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }

    /// The variables named by the problems, in order.
    public var variables: [String] { problems.map(\.variable) }
}
