import ExecutorTesting
import Foundation
import Testing
@testable import Config

@Suite("Loading profiles and env files")
struct ConfigLoadingTests {
    @Test("--profile NAME reads .env.NAME; the process environment overrides the file")
    func profileAndOverride() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write(".env.paper", "ENVIRONMENT=paper\nMAX_DAILY_TRADES=7\nCYCLE_INTERVAL_MS=250\n")
        let env = try ConfigEnvironment.load(
            .profile("paper"), processEnvironment: ["MAX_DAILY_TRADES": "9", "UNRELATED_SECRET": "x"], workingDirectory: dir.path)
        #expect(env.values["MAX_DAILY_TRADES"] == "9")
        #expect(env.origins["MAX_DAILY_TRADES"] == .processEnvironment)
        #expect(env.values["CYCLE_INTERVAL_MS"] == "250")
        #expect(env.values["UNRELATED_SECRET"] == nil, "only known variables are taken from the environment")
        #expect(env.origins["CYCLE_INTERVAL_MS"] == .file((dir.path as NSString).appendingPathComponent(".env.paper")))
    }

    @Test("--env-file PATH, relative to the working directory")
    func envFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("custom.env", "MAX_DAILY_TRADES=11\n")
        let env = try ConfigEnvironment.load(.file("custom.env"), processEnvironment: [:], workingDirectory: dir.path)
        #expect(env.values["MAX_DAILY_TRADES"] == "11")
    }

    @Test("automatic: .env if present, else nothing — the embedded default")
    func automatic() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let none = try ConfigEnvironment.load(.automatic, processEnvironment: [:], workingDirectory: dir.path)
        #expect(none.isEmpty)
        #expect(none.file == nil)
        try dir.write(".env", "ENVIRONMENT=paper\n")
        let some = try ConfigEnvironment.load(.automatic, processEnvironment: [:], workingDirectory: dir.path)
        #expect(!some.isEmpty)
    }

    @Test("missing profile or file, bad profile names, malformed files are clear errors")
    func loadErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: ConfigLoadError.self) { try ConfigEnvironment.load(.profile("nope"), processEnvironment: [:], workingDirectory: dir.path) }
        #expect(throws: ConfigLoadError.self) { try ConfigEnvironment.load(.profile("../etc"), processEnvironment: [:], workingDirectory: dir.path) }
        #expect(throws: ConfigLoadError.self) { try ConfigEnvironment.load(.file("missing.env"), processEnvironment: [:], workingDirectory: dir.path) }
        try dir.write(".env.bad", "NOT AN ASSIGNMENT\n")
        #expect(throws: DotEnvError.self) { try ConfigEnvironment.load(.profile("bad"), processEnvironment: [:], workingDirectory: dir.path) }
    }
}
