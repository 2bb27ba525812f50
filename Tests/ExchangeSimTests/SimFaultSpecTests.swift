import Testing
@testable import ExchangeSim

@Suite("Fault specifications for run-executor sim --fault")
struct SimFaultSpecTests {
    @Test("a full specification parses")
    func parses() throws {
        let rule = try SimFaultRule(parsing: "latency_ms:20,error_rate:0.25,error_after_apply:true,drop:1,rate_limit:3,malformed:2,unavailable:4,stale_ms:1500")
        #expect(rule.latency == .milliseconds(20))
        #expect(rule.serverErrorRate == 0.25)
        #expect(rule.serverErrorAfterApplying)
        #expect(rule.dropAfterAccept == 1)
        #expect(rule.rateLimitBurst == 3)
        #expect(rule.malformedBody == 2)
        #expect(rule.unavailable == 4)
        #expect(rule.staleness == .milliseconds(1_500))
    }

    @Test("bad specifications name the problem", arguments: [
        "POST /portfolio/events/orders=teleport:1", "POST /portfolio/events/orders=error_rate:2", "POST /nope=drop:1",
        "POST /portfolio/events/orders=drop", "no-equals-sign", "GET /markets=drop:-1", "GET /portfolio/fills=stale_ms:soon",
    ])
    func refuses(argument: String) {
        #expect(throws: SimFaultSpecError.self) { try SimFaults().apply(argument: argument) }
    }

    @Test("counted faults fire the given number of times, in order")
    func counted() throws {
        let faults = SimFaults()
        try faults.apply(argument: "GET /markets=rate_limit:1,drop:1")
        #expect(faults.action(for: "GET /markets") == .rateLimit)
        #expect(faults.action(for: "GET /markets") == .dropAfterApplying)
        #expect(faults.action(for: "GET /markets") == .proceed)
    }
}
