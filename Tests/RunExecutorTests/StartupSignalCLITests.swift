import ExecutorTesting
import Foundation
import Testing

/// SIGTERM before the run's services have taken over signals (while it connects and reconciles) ends it
/// cleanly, like one after: never the default action's abrupt exit.
@Suite("run-executor: a stop signal during start-up")
struct StartupSignalCLITests {
    @Test("SIGTERM while the run is still connecting: exit 0, through shutdown (state stopped), for run and trader alike", arguments: [
        [String](), ["trader", "--platform", "kalshi", "--controller", "ws://127.0.0.1:9"],
    ])
    func earlySignal(prefix: [String]) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try RunningCLI.launch(prefix + ["--duration", "30"], environment: ["TRADER_SECRET": "a secret of at least sixteen bytes"],
                                        workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state connectingData")
        let status = await run.stop()
        #expect(status == 0, "\(run.tail(10))")
        #expect(run.output.contains { $0.contains("state stopped") }, "\(run.tail(10))")
    }
}
