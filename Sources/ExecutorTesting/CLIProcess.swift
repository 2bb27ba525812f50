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

    /// Runs `run-executor arguments…` until it has printed, for each entry of `printed`, a line containing
    /// one of its texts, then stops it (SIGTERM) and returns its exit status and output (standard output
    /// and error together, as `stdout`). For runs that must get somewhere rather than run for a fixed
    /// `--duration`: a machine busy for a few seconds (a full suite's start) does not cut them short.
    public static func runUntil(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String, printed: [[String]], timeout: Duration = .seconds(60)
    ) async throws -> CLIResult {
        let run = try RunningCLI.launch(arguments, environment: environment, workingDirectory: workingDirectory)
        for texts in printed { _ = try await run.waitForLine(containingAny: texts, timeout: timeout) }
        let status = await run.stop()
        return CLIResult(status: status, stdout: run.output.joined(separator: "\n"), stderr: "")
    }

    /// `run` on a thread of its own, for async tests: a blocking wait on a cooperative thread could starve
    /// the very simulators (in this process) the child talks to.
    public static func runDetached(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String, stdin: String = ""
    ) async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(arguments, environment: environment, workingDirectory: workingDirectory, stdin: stdin) })
            }.start()
        }
    }

    /// Runs another program (`python3 tools/…`) on a thread of its own and waits for it: its exit status and
    /// its standard output and error together.
    public static func runTool(_ arguments: [String], workingDirectory: String? = nil) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = arguments
                    if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
                    let out = Pipe()
                    process.standardOutput = out
                    process.standardError = out
                    try process.run()
                    let data = out.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
                })
            }.start()
        }
    }

    /// The exit status of child `pid` once it has ended (its exit code, or the signal that ended it), read
    /// without reaping it, so Foundation's own reaping goes on as before; nil while it runs.
    static func peekExit(_ pid: Int32) -> Int32? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid else { return nil }
        return info._sifields._sigchld.si_status
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

/// A long-running `run-executor` (the simulator, a trading run) whose output a test reads line by line.
public final class RunningCLI: @unchecked Sendable {
    // @unchecked: `Process` is not Sendable; it is only touched under `lock` or before `launch` returns.
    private let process: Process
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    /// The child's output ended (its pipe's end of file was read).
    private var ended = false

    private init(process: Process) { self.process = process }

    /// A test that fails before `stop()` must not leave the process running.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Starts `run-executor arguments…` in `workingDirectory`.
    public static func launch(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String) throws -> RunningCLI {
        let process = Process()
        process.executableURL = try CLIProcess.binary()
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        let running = RunningCLI(process: process)
        // Weak: the handler must not keep the process alive past a test that failed before `stop()` (its
        // deinit kills the child).
        out.fileHandleForReading.readabilityHandler = { [weak running] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            running?.append(data)
        }
        try process.run()
        return running
    }

    private func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        if data.isEmpty { ended = true }
        partial.append(data)
        while let newline = partial.firstIndex(of: 0x0A) {
            lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex...newline)
        }
    }

    /// Every complete line printed so far.
    /// The child's process id.
    public var pid: Int32 { process.processIdentifier }

    public var output: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Waits (polling every 20 ms, at most `timeout`) for a line containing `text`.
    public func waitForLine(containing text: String, timeout: Duration = .seconds(30)) async throws -> String {
        try await waitForLine(containingAny: [text], timeout: timeout)
    }

    /// Waits (polling every 20 ms, at most `timeout`) for a line containing any of `texts`.
    public func waitForLine(containingAny texts: [String], timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        func found() -> String? { output.first { line in texts.contains { line.contains($0) } } }
        while ContinuousClock.now < deadline {
            if let line = found() { return line }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        if let line = found() { return line }
        let wanted = texts.map { "\"\($0)\"" }.joined(separator: " or ")
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "no line containing \(wanted); output: \(output.suffix(20))" + crashReport])
    }

    /// The last `count` lines, and the crash report if the child crashed (its last lines are then the
    /// backtracer's list of loaded images): for a failed expectation's message.
    public func tail(_ count: Int = 10) -> String { "\(output.suffix(count))" + crashReport }

    /// The head of a crash report the child printed (the runtime's backtracer: what crashed and the
    /// crashing thread's frames), or "".
    public var crashReport: String {
        let lines = output
        guard let start = lines.firstIndex(where: { $0.contains("Program crashed") || $0.contains("Fatal error") }) else { return "" }
        var report = lines[start..<min(lines.count, start + 30)].joined(separator: "\n")
        // The crashed thread's frames (the backtracer lists every thread; that one says "crashed").
        if let crashed = lines[start...].firstIndex(where: { $0.hasPrefix("Thread ") && $0.contains("crashed") }) {
            let end = lines[(crashed + 1)...].firstIndex { $0.hasPrefix("Thread ") } ?? min(lines.count, crashed + 80)
            report += "\n…\n" + lines[crashed..<min(end, crashed + 80)].joined(separator: "\n")
        }
        return "\ncrash report:\n" + report
    }

    /// Sends `signal` (SIGTERM by default) and waits for the exit status. A process still running
    /// `killAfter` after the signal is killed (SIGKILL, so its status is 9 by signal): a shutdown that hangs
    /// fails its test rather than holding the suite. The wait never outlasts the child: should Foundation not
    /// notice its exit (its status peeked from the kernel says so), the peeked status is returned 2 s later.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, killAfter: Duration? = .seconds(120)) async -> Int32 {
        let pid = process.processIdentifier
        if process.isRunning { kill(pid, signal) }
        let deadline = killAfter.map { ContinuousClock.now + $0 }
        var exitedAt: (ContinuousClock.Instant, Int32)?
        while process.isRunning {
            if let deadline, ContinuousClock.now >= deadline { kill(pid, SIGKILL) }
            if exitedAt == nil, let status = CLIProcess.peekExit(pid) { exitedAt = (.now, status) }
            if let (at, status) = exitedAt, at.duration(to: .now) > .seconds(2) { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Its last lines: read until the pipe's end (a grandchild holding it open is not waited for long).
        for _ in 0..<250 where !lock.withLock({ ended }) { try? await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }
}
