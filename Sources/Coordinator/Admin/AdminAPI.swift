import Execution
import Foundation
import Markets

/// The run's state as the admin API shows it.
public actor RunBoard {
    public private(set) var state = "startup"
    public func set(_ state: String) { self.state = state }
}

/// What `GET /status` answers.
public struct AdminStatus: Sendable, Codable {
    public var state: String
    public var mode: String
    public var hybrid: Bool
    public var execution: ExecutionStatus
    public var loop: LoopStats
    public var signalsReceived: Int
    public var signalsMalformed: Int
}

/// Routes of the admin API. Every route but `GET /health` needs `Authorization: Bearer <token>`.
///
/// - `GET /health` — liveness and run state
/// - `GET /status` — run state, breaker, open orders, loop counters (JSON)
/// - `GET /metrics` — Prometheus text
/// - `POST /halt` `{"reason": "..."}` — no new orders until resume (persisted)
/// - `POST /resume` — lift a halt (and acknowledge recorded drift)
/// - `POST /signals` — JSON lines, queued for the next cycle; answers accepted/rejected with line numbers
public struct AdminAPI: Sendable {
    let token: String
    let board: RunBoard
    let service: ExecutionService
    let loop: ExecutionLoop
    let inbox: SignalInbox
    let hybrid: Bool
    let log: @Sendable (String) -> Void

    public init(token: String, board: RunBoard, service: ExecutionService, loop: ExecutionLoop, inbox: SignalInbox, hybrid: Bool,
                log: @escaping @Sendable (String) -> Void) {
        self.token = token
        self.board = board
        self.service = service
        self.loop = loop
        self.inbox = inbox
        self.hybrid = hybrid
        self.log = log
    }

    /// Constant-time comparison of the presented bearer token.
    private func authorised(_ request: AdminRequest) -> Bool {
        guard let header = request.headers["authorization"], header.hasPrefix("Bearer ") else { return false }
        let presented = Array(header.dropFirst(7).utf8), expected = Array(token.utf8)
        guard presented.count == expected.count else { return false }
        return zip(presented, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public func handle(_ request: AdminRequest) async -> AdminResponse {
        if request.method == "GET", request.path == "/health" {
            return .json(200, ["status": "ok", "state": await board.state])
        }
        guard authorised(request) else { return .error(401, "missing or wrong bearer token") }
        switch (request.method, request.path) {
        case ("GET", "/status"):
            return .json(200, AdminStatus(state: await board.state, mode: service.mode.rawValue, hybrid: hybrid, execution: await service.status(),
                                          loop: await loop.stats, signalsReceived: await inbox.received, signalsMalformed: await inbox.malformed))
        case ("GET", "/metrics"):
            return AdminResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Data(service.metrics.prometheusText().utf8))
        case ("POST", "/halt"):
            struct Body: Decodable { var reason: String? }
            let reason = (try? JSONDecoder().decode(Body.self, from: request.body))?.reason ?? "halted through the admin API"
            await service.halt(reason: reason)
            log("HALT via admin API: \(reason)")
            return .json(200, await service.status())
        case ("POST", "/resume"):
            await service.resume()
            log("RESUME via admin API")
            return .json(200, await service.status())
        case ("POST", "/signals"):
            struct Rejection: Encodable { var line: Int; var reason: String }
            struct Answer: Encodable { var accepted: Int; var rejected: [Rejection] }
            let lines = String(decoding: request.body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let before = await inbox.received
            let rejected = await inbox.ingest(lines: lines).map { Rejection(line: $0.line, reason: $0.reason) }
            rejected.forEach { log("MALFORMED (POST /signals) line \($0.line): \($0.reason)") }
            return .json(rejected.isEmpty ? 200 : 207, Answer(accepted: await inbox.received - before, rejected: rejected))
        default:
            return .error(404, "no route \(request.method) \(request.path)")
        }
    }
}

/// Where a running executor's admin API can be found by the CLI on the same machine.
public enum AdminEndpoint {
    /// The endpoint file sits beside the token file: `data/admin.token` → `data/admin.endpoint`.
    public static func endpointPath(tokenFile: String) -> String {
        ((tokenFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent("admin.endpoint")
    }
}
