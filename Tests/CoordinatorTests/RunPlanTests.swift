import Config
import ExecutorTesting
import Foundation
import KalshiWire
import Testing
@testable import Coordinator

@Suite("Run plan and run state")
struct RunPlanTests {
    static func report(_ values: [String: String]) throws -> ConfigReport {
        try V3Config.load(ConfigEnvironment(values: values))
    }

    @Test("no configuration plans the embedded simulator")
    func embedded() throws {
        let plan = RunPlan(report: try Self.report([:]))
        #expect(plan.data == .embeddedSimulator)
        #expect(plan.trading == .embeddedSimulator)
        #expect(plan.mode == .paper)
    }

    @Test("hybrid plans production data, demo orders, and says so clearly")
    func hybrid() throws {
        let report = try Self.report([
            "PAPER_TRADING": "true", "V3_HYBRID_MODE": "true",
            "KALSHI_DATA_API_URL": KalshiHosts.productionAPI, "KALSHI_DATA_WS_URL": KalshiHosts.productionWebSocket,
            "KALSHI_DATA_API_KEY_ID": "abcd-1", "KALSHI_DATA_PRIVATE_KEY_CONTENT": Self.testKey,
        ])
        let plan = RunPlan(report: report)
        #expect(plan.data == .kalshi(api: URL(string: KalshiHosts.productionAPI)!, webSocket: URL(string: KalshiHosts.productionWebSocket)!, production: true))
        guard case .kalshi(_, _, production: false) = plan.trading else {
            Issue.record("trading should be the demo venue")
            return
        }
        #expect(plan.startupNotices.contains { $0.hasPrefix("HYBRID: market data from external-api.kalshi.com (production), orders on external-api.demo.kalshi.co (non-production)") })
        #expect(plan.startupNotices.first?.hasPrefix("PAPER mode") == true)
    }

    @Test("run state transitions", arguments: [
        (RunState.startup, RunState.connectingData, true), (.connectingData, .connectingTrading, true),
        (.connectingTrading, .syncing, true), (.syncing, .ready, true), (.ready, .acting, true), (.acting, .ready, true),
        (.acting, .error("x"), true), (.error("x"), .connectingData, true), (.ready, .shuttingDown, true),
        (.shuttingDown, .stopped, true), (.startup, .ready, false), (.stopped, .startup, false), (.ready, .syncing, false),
        (.stopped, .error("x"), false),
    ])
    func runStates(from: RunState, to: RunState, legal: Bool) {
        #expect(from.allows(to) == legal)
    }

    static var testKey: String { (try? AuthVectors.load().private_key_pkcs1_pem) ?? "" }
}
