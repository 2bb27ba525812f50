import Foundation
import Markets
import Synchronization

/// Faults the simulator injects on one endpoint (route name such as `POST /portfolio/events/orders`).
public struct SimFaultRule: Sendable, Hashable {
    /// Added before the request is handled.
    public var latency: Duration = .zero
    /// Probability (0–1) of answering 500.
    public var serverErrorRate: Double = 0
    /// Whether a 500 is returned after the request was applied (the client cannot tell).
    public var serverErrorAfterApplying = false
    /// The next N requests are applied, then the connection is closed without a response.
    public var dropAfterAccept = 0
    /// The next N requests answer 429 without being applied.
    public var rateLimitBurst = 0
    /// The next N requests are applied, then answered 200 with a body that is not JSON.
    public var malformedBody = 0
    /// The next N requests are answered 503 without being applied.
    public var unavailable = 0
    /// Records made this recently are left out of the answer: a read lagging the matching engine, as
    /// Kalshi documents for its REST fills (about a second). Honoured by `GET /portfolio/fills`.
    public var staleness: Duration = .zero

    public init() {}
}

/// What the router should do with one request after consulting the faults.
enum SimFaultAction: Sendable, Equatable {
    case proceed
    case rateLimit
    case unavailable
    case serverError(afterApplying: Bool)
    case dropAfterApplying
    case malformedAfterApplying
}

/// Per-endpoint fault rules with a seeded generator, so a fault schedule reproduces for a seed.
public final class SimFaults: Sendable {
    private struct State {
        var rules: [String: SimFaultRule] = [:]
        var random: SplitMix64
        /// Requests answered with records left out by `staleness`, per route.
        var staleReads: [String: Int] = [:]
        /// Requests that reached each route, faulted or not.
        var requests: [String: Int] = [:]
    }
    private let state: Mutex<State>

    public init(seed: UInt64 = 1) { state = Mutex(State(random: SplitMix64(seed: seed))) }

    public func set(_ route: String, _ rule: SimFaultRule) { state.withLock { $0.rules[route] = rule } }
    public func clear() { state.withLock { $0.rules.removeAll() } }

    /// The latency to add before handling a request to `route`; called once per request, first, so it
    /// also counts the request (`requests(_:)`).
    func latency(for route: String) -> Duration {
        state.withLock { state in
            state.requests[route, default: 0] += 1
            return state.rules[route]?.latency ?? .zero
        }
    }
    func staleness(for route: String) -> Duration {
        state.withLock { state in
            let staleness = state.rules[route]?.staleness ?? .zero
            if staleness > .zero { state.staleReads[route, default: 0] += 1 }
            return staleness
        }
    }

    /// How many requests to `route` were answered stale (the `stale_ms` fault), since the start.
    public func staleReads(_ route: String) -> Int { state.withLock { $0.staleReads[route] ?? 0 } }

    /// How many requests reached `route` (counted on arrival, before any latency fault), since the start.
    public func requests(_ route: String) -> Int { state.withLock { $0.requests[route] ?? 0 } }

    func action(for route: String) -> SimFaultAction {
        state.withLock { state in
            guard var rule = state.rules[route] else { return .proceed }
            defer { state.rules[route] = rule }
            if rule.rateLimitBurst > 0 { rule.rateLimitBurst -= 1; return .rateLimit }
            if rule.unavailable > 0 { rule.unavailable -= 1; return .unavailable }
            if rule.dropAfterAccept > 0 { rule.dropAfterAccept -= 1; return .dropAfterApplying }
            if rule.malformedBody > 0 { rule.malformedBody -= 1; return .malformedAfterApplying }
            if rule.serverErrorRate > 0, state.random.nextUnit() < rule.serverErrorRate {
                return .serverError(afterApplying: rule.serverErrorAfterApplying)
            }
            return .proceed
        }
    }
}

/// A `--fault` argument could not be understood.
public struct SimFaultSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    public let description: String
}

extension SimFaultRule {
    /// Parses `latency_ms:20,error_rate:0.05,error_after_apply:true,drop:1,rate_limit:3,malformed:1,unavailable:2,stale_ms:1500`.
    public init(parsing spec: String) throws(SimFaultSpecError) {
        self.init()
        for item in spec.split(separator: ",") {
            let pair = item.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw SimFaultSpecError(description: "\"\(item)\": expected key:value") }
            let (key, value) = (pair[0], pair[1])
            func count() throws(SimFaultSpecError) -> Int {
                guard let n = Int(value), n >= 0 else { throw SimFaultSpecError(description: "\(key): \"\(value)\" is not a count ≥ 0") }
                return n
            }
            switch key {
            case "latency_ms": latency = .milliseconds(try count())
            case "error_rate":
                guard let rate = Double(value), (0...1).contains(rate) else {
                    throw SimFaultSpecError(description: "error_rate: \"\(value)\" is not a probability in 0...1")
                }
                serverErrorRate = rate
            case "error_after_apply":
                guard let flag = Bool(value) else { throw SimFaultSpecError(description: "error_after_apply: \"\(value)\" is not true/false") }
                serverErrorAfterApplying = flag
            case "drop": dropAfterAccept = try count()
            case "rate_limit": rateLimitBurst = try count()
            case "malformed": malformedBody = try count()
            case "unavailable": unavailable = try count()
            case "stale_ms": staleness = .milliseconds(try count())
            default:
                throw SimFaultSpecError(description: "unknown fault \"\(key)\" (latency_ms, error_rate, error_after_apply, drop, rate_limit, malformed, "
                                        + "unavailable, stale_ms)")
            }
        }
    }
}

extension SimFaults {
    /// Route names a fault can target, e.g. `POST /portfolio/events/orders`.
    public static var routeNames: [String] { SimRoutes.all.map(\.name) }

    /// Applies `ROUTE=SPEC` (as given to `run-executor sim --fault`) for one of `routeNames` (Kalshi's by default).
    public func apply(argument: String, routeNames: [String] = SimFaults.routeNames) throws(SimFaultSpecError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw SimFaultSpecError(description: "\"\(argument)\": expected ROUTE=SPEC, e.g. \"\(routeNames.first ?? "POST /order")=drop:1\"")
        }
        let route = argument[..<equals].trimmingCharacters(in: .whitespaces)
        guard routeNames.contains(route) else {
            throw SimFaultSpecError(description: "unknown route \"\(route)\"; routes: \(routeNames.joined(separator: "; "))")
        }
        set(route, try SimFaultRule(parsing: String(argument[argument.index(after: equals)...])))
    }
}
