import ExecutorTesting
import Foundation
import Testing

/// `run-executor fidelity`, and the paper model's settings through a run.
@Suite("run-executor fidelity: paper against a mirrored venue")
struct FidelityCLITests {
    @Test("TS-72 fidelity runs one seeded stream through paper and the Kalshi executor on a mirrored demo venue and prints both sides, their gaps and a verdict consistent with them")
    func sideBySide() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["fidelity", "--duration", "8", "--seed", "3", "--json"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        let paper = try #require(json["paper"] as? [String: Any]), venue = try #require(json["venue"] as? [String: Any])
        let signals = try #require(json["signals"] as? Int)
        #expect(signals >= 20, "a signal every 200 ms")
        #expect(paper["orders"] as? Int == signals && venue["orders"] as? Int == signals, "the same stream on both sides")
        #expect(paper["requested"] as? String == venue["requested"] as? String)
        let paperRate = try #require(paper["fill_rate"] as? Double), venueRate = try #require(venue["fill_rate"] as? Double)
        #expect((0...1).contains(paperRate) && (0...1).contains(venueRate) && venueRate > 0, "the venue filled something")
        let gap = try #require(json["fill_rate_gap"] as? Double)
        #expect(abs(gap - abs(paperRate - venueRate)) < 1e-9)
        let priceGap = (json["average_price_gap"] as? String).flatMap { Decimal(string: $0) }
        let slippageGap = (json["slippage_gap"] as? String).flatMap { Decimal(string: $0) }
        let within = gap <= 0.02 && (priceGap.map { $0 <= Decimal(string: "0.002")! } ?? false) && (slippageGap.map { $0 <= Decimal(string: "0.002")! } ?? false)
        #expect(json["within_tolerance"] as? Bool == within, "the verdict follows the figures")
        let latency = try #require(json["paper_latency_microseconds"] as? [Int])
        #expect(latency.count == 2 && latency[0] > 0 && latency[0] <= latency[1], "calibrated on the local demo venue: \(latency)")

        let human = try await CLIProcess.runDetached(["fidelity", "--duration", "5", "--passive", "0"], workingDirectory: dir.path)
        #expect(human.status == 0, "\(human.stderr)")
        for row in ["all fill rate (contracts)", "all average fill price", "all slippage (fill − expected)", "filled on both: average fill price",
                    "taking fill rate (contracts)", "passive orders"] {
            #expect(human.stdout.contains(row), "\(row)")
        }
        #expect(human.stdout.contains("WITHIN tolerance") || human.stdout.contains("OUTSIDE tolerance"))
        #expect(human.stdout.contains("passive 0)"), "--passive 0: every signal takes liquidity")
        #expect(human.stdout.contains("(calibrated on the demo venue)"))
    }

    @Test("PAPER_LATENCY_MS sets how long the paper venue takes to answer, in a real run")
    func paperLatency() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let result = try await CLIProcess.runDetached(["--duration", "3"], environment: ["PAPER_LATENCY_MS": "250-300"], workingDirectory: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("latency 250–300 ms"), "\(result.stdout.prefix(2000))")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("latency submitted_to_acknowledged") }, "\(result.stdout)")
        let p50 = try #require(line.split(separator: " ").first { $0.hasPrefix("p50=") }.flatMap { Int($0.dropFirst(4).dropLast(2)) })
        #expect(p50 >= 250_000, "\(line)")
    }
}
