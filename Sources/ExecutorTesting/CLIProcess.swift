import Foundation

/// Runs the built `run-executor` binary as a user would, with a controlled environment.
public struct CLIResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum CLIProcess {
    /// The `run-executor` binary next to the running test bundle (SwiftPM puts both in the same
    /// build products directory).
    public static func binary() throws -> URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("run-executor")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "run-executor near \(testBinary.path)"])
    }

    /// Runs `run-executor arguments…` in `workingDirectory` with only `environment` (plus PATH and HOME)
    /// and empty standard input, and waits for it.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String, stdin: String = ""
    ) throws -> CLIResult {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting so a chatty child never blocks on a full pipe.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The package root (for `env-examples/`), from a test file's `#filePath`.
    public static func packageRoot(from filePath: String) -> String {
        var url = URL(fileURLWithPath: filePath)
        while url.path != "/" {
            url = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }
}
