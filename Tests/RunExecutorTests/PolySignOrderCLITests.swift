import ExecutorTesting
import Foundation
import Markets
import PolymarketWire
import Testing

/// `run-executor poly sign-order` as a user runs it, and against the official SDK.
@Suite("run-executor poly sign-order")
struct PolySignOrderCLITests {
    static let root = CLIProcess.packageRoot(from: #filePath)
    static let sdkPython = root + "/.build/poly-sdk-venv/bin/python"
    static let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    static let token = "71321045679252212594626385532706912750332728571942532289631379312455583992563"

    static func keyFile(_ dir: TemporaryDirectory) throws -> String { try dir.write("key.hex", key + "\n") }

    @Test("prints the vector's POST /order body byte for byte; refuses what the venue would reject, with its reason (exit 2)")
    func vectorAndRefusals() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let vectors = try PolymarketVectors.load()
        let base = ["poly", "sign-order", "--private-key-file", try Self.keyFile(dir), "--token-id", Self.token]
        let signed = try await CLIProcess.runDetached(base + ["--side", "buy", "--price", "0.5", "--size", "100", "--tick-size", "0.01", "--order-type", "FAK",
                                                             "--salt", "479249096354", "--timestamp", "1710000000000"], workingDirectory: dir.path)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout == vectors.orders[0].postBody + "\n")
        #expect(!signed.stdout.contains(Self.key) && !signed.stderr.contains(Self.key))
        let negRisk = try await CLIProcess.runDetached(base + ["--side", "buy", "--price", "0.5", "--size", "100", "--tick-size", "0.01", "--neg-risk",
                                                              "--order-type", "FAK", "--salt", "479249096354", "--timestamp", "1710000000000"],
                                                       workingDirectory: dir.path)
        #expect(negRisk.stdout == vectors.orders[2].postBody + "\n", "signed for the neg-risk exchange")

        let refusals: [([String], String)] = [
            (["--side", "buy", "--price", "0.56", "--size", "21.04", "--tick-size", "0.01", "--order-type", "FAK"],
             "invalid amounts, the market buy orders maker amount supports a max accuracy of 2 decimals, taker amount a max of 4 decimals"),
            (["--side", "buy", "--price", "0.567", "--size", "10", "--tick-size", "0.005"], "breaks minimum tick size rule: 0.005"),
            (["--side", "sell", "--price", "0.5", "--size", "3", "--tick-size", "0.01", "--min-size", "5"], "Size (3) lower than the minimum: 5"),
            (["--side", "buy", "--price", "0.999", "--size", "10", "--tick-size", "0.01"], "breaks minimum tick size rule: 0.01"),
            (["--side", "buy", "--price", "1.5", "--size", "10", "--tick-size", "0.01"], "--price: \"1.5\" is not a price strictly between 0 and 1"),
            (["--side", "buy", "--price", "0.5", "--size", "10", "--tick-size", "0.02"], "--tick-size: \"0.02\" is not one of"),
            (["--side", "buy", "--price", "0.5", "--size", "10", "--tick-size", "0.01", "--signature-type", "1"], "needs POLY_FUNDER"),
        ]
        for (arguments, message) in refusals {
            let result = try await CLIProcess.runDetached(base + arguments, workingDirectory: dir.path)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        let badKey = try await CLIProcess.runDetached(["poly", "sign-order", "--private-key-file", try dir.write("bad.hex", "0x1234\n"), "--token-id", "1",
                                                       "--side", "buy", "--price", "0.5", "--size", "1", "--tick-size", "0.01"], workingDirectory: dir.path)
        #expect(badKey.status == 2 && badKey.stderr.contains("not shown"))
    }

    @Test("200 seeded orders: every body is byte-identical to the official SDK's (py-clob-client-v2 1.2.1), where the SDK's float arithmetic is exact",
          .enabled(if: FileManager.default.isExecutableFile(atPath: sdkPython),
                   "the official SDK is not installed in .build/poly-sdk-venv (scripts/test installs it from PyPI when it can)"))
    func officialSDK() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var random = SplitMix64(seed: 7)
        let ticks = ["0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"]
        let tickMicros: [String: Int64] = ["0.1": 100_000, "0.01": 10_000, "0.005": 5_000, "0.0025": 2_500, "0.001": 1_000, "0.0001": 100]
        var cases: [[String: Any]] = []
        while cases.count < 200 {
            let tick = ticks[Int(random.next() % UInt64(ticks.count))]
            let step = tickMicros[tick] ?? 10_000
            let steps = (1_000_000 / step) - 1
            let price = Dollars(micros: step * Int64(1 + random.next() % UInt64(steps - 1))).wireString
            let hundredths = Int64(1 + random.next() % 50_000)
            let size = Contracts(hundredths: hundredths).wireString
            let signatureType = Int(random.next() % 3)
            var entry: [String: Any] = [
                "token": random.next() % 2 == 0 ? Self.token : String(random.next() >> 1), "side": random.next() % 2 == 0 ? "BUY" : "SELL",
                "price": price, "size": size, "tick": tick, "neg_risk": random.next() % 2 == 0, "order_type": "GTC",
                "owner": String(format: "%08x-%04x-4%03x-8%03x-%012llx", UInt32(truncatingIfNeeded: random.next()), UInt16(truncatingIfNeeded: random.next()),
                                UInt16(truncatingIfNeeded: random.next()) & 0xfff, UInt16(truncatingIfNeeded: random.next()) & 0xfff,
                                random.next() & 0xffff_ffff_ffff),
                "salt": String(random.next() % (1 << 53)), "timestamp": 1_760_000_000_000 + Int(random.next() % 1_000_000), "signature_type": signatureType,
            ]
            if signatureType != 0 {
                // As a user copies it from the profile page: EIP-55 checksummed.
                entry["funder"] = EthereumAddress(bytes: (0..<20).map { _ in UInt8(truncatingIfNeeded: random.next()) })?.checksummed
            }
            cases.append(entry)
        }
        let input = try dir.write("cases.json", String(decoding: try JSONSerialization.data(withJSONObject: cases), as: UTF8.self))
        let sdk = try await CLIProcess.runTool(["sh", "-c", "\(Self.sdkPython) \(Self.root)/tools/poly_sdk_crosscheck.py 0x\(Self.key) < \(input)"])
        #expect(sdk.status == 0, "\(sdk.output)")
        let answers = sdk.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(answers.count == cases.count, "\(sdk.output.suffix(500))")
        let keyFile = try Self.keyFile(dir)
        var compared = 0, floatArtefacts = 0
        for (entry, answer) in zip(cases, answers) {
            var arguments = ["poly", "sign-order", "--private-key-file", keyFile, "--token-id", "\(entry["token"] ?? "")",
                             "--side", "\(entry["side"] ?? "")".lowercased(), "--price", "\(entry["price"] ?? "")", "--size", "\(entry["size"] ?? "")",
                             "--tick-size", "\(entry["tick"] ?? "")", "--order-type", "GTC", "--api-key", "\(entry["owner"] ?? "")",
                             "--salt", "\(entry["salt"] ?? "")", "--timestamp", "\(entry["timestamp"] ?? "")", "--signature-type", "\(entry["signature_type"] ?? 0)"]
            if entry["neg_risk"] as? Bool == true { arguments.append("--neg-risk") }
            if let funder = entry["funder"] as? String { arguments += ["--funder", funder] }
            let ours = try await CLIProcess.runDetached(arguments, workingDirectory: dir.path)
            #expect(ours.status == 0, "\(arguments): \(ours.stderr)")
            let body = ours.stdout.trimmingCharacters(in: .newlines)
            if answer["exact"] as? Bool == true {
                #expect(body == answer["body"] as? String, "\(entry)")
                compared += 1
            } else {
                // The SDK's floats floored the size a cent (0.29 → 0.28); ours signs what was asked.
                let exact = answer["exact_amounts"] as? [Int] ?? []
                #expect(exact.count == 2 && body.contains("\"makerAmount\":\"\(exact[0])\",\"takerAmount\":\"\(exact[1])\""), "\(entry) \(body)")
                floatArtefacts += 1
            }
        }
        #expect(compared > 150, "compared \(compared), float artefacts \(floatArtefacts)")
    }
}
