import Arbitrage
import Execution
import Foundation
import Markets
import TraderLink

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
    /// Accepted signals waiting for a cycle.
    public var signalsWaiting: Int
    public var signalsRefused: Int
    public var signalsDuplicate: Int
    /// Remote traders connected (platform, address, since, last pong, legs in flight); empty without
    /// `TRADER_LISTEN`.
    public var traders: [TraderRegistry.Connected]
    /// The arbitrage engine's counters (received, filled, mismatch closed, exposure left, aborted, denied,
    /// refused, running, queued); absent where no engine runs.
    public var arbs: ArbStats?
}

/// Routes of the admin API. Every route but `GET /health` and the sign-in needs `Authorization: Bearer
/// <token>`, or the status page's cookie (set by signing in with the token; a POST with the cookie must also
/// carry `X-Executor-Page: 1`, which no other site's form can send).
///
/// - `GET /` — the status page (signed in), else a sign-in form (401); `GET /?token=…` signs in and
///   redirects to `/` (the token leaves the address bar)
/// - `POST /login` (form field `token`) — sets the `HttpOnly; SameSite=Strict` cookie; wrong tokens get 401
/// - `POST /logout` — clears it
/// - `GET /dashboard` — everything the status page shows (JSON)
/// - `GET /health` — liveness and run state
/// - `GET /status` — run state, breaker, open orders, loop counters (JSON)
/// - `GET /metrics` — Prometheus text
/// - `POST /halt` `{"reason": "..."}` — no new orders until resume (persisted)
/// - `POST /resume` — lift a halt (and acknowledge recorded drift)
/// - `POST /signals` — JSON lines, journaled then queued; answers accepted/rejected with line numbers
///   (200 all accepted, 207 some rejected, 503 the inbox is full: resend what was refused later)
/// - `POST /orders` `{"intent","ticker","count","price","tif"}` — one manual order through the running
///   executor (what `run-executor order` does while a run holds the journal)
/// - `POST /cancel-all` — cancels the resting orders this run placed
public struct AdminAPI: Sendable {
    let token: String
    let board: RunBoard
    let service: ExecutionService
    let loop: ExecutionLoop
    let inbox: SignalInbox
    let desk: ManualOrderDesk?
    let hybrid: Bool
    let dashboard: DashboardSource
    let arbs: ArbEngine?
    let log: @Sendable (String) -> Void

    public init(token: String, board: RunBoard, service: ExecutionService, loop: ExecutionLoop, inbox: SignalInbox, desk: ManualOrderDesk? = nil,
                hybrid: Bool, dashboard: DashboardSource? = nil, arbs: ArbEngine? = nil, log: @escaping @Sendable (String) -> Void) {
        self.token = token
        self.board = board
        self.service = service
        self.loop = loop
        self.inbox = inbox
        self.desk = desk
        self.hybrid = hybrid
        self.dashboard = dashboard ?? DashboardSource(venues: Dashboard.Venues(
            mode: service.mode.rawValue, hybrid: hybrid, summary: hybrid ? "Hybrid: market data from production, orders on the trading venue." : ""))
        self.arbs = arbs
        self.log = log
    }

    /// How a request proved it may act.
    enum Credential { case bearer, cookie }

    /// The bearer token, or the status page's cookie, compared in constant time.
    func credential(_ request: AdminRequest) -> Credential? {
        if let header = request.headers["authorization"], header.hasPrefix("Bearer "), header.dropFirst(7).equalsInConstantTime(token) {
            return .bearer
        }
        let session = StatusPage.sessionValue(token: token)
        for cookie in (request.headers["cookie"] ?? "").split(separator: ";") {
            let pair = cookie.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == StatusPage.cookieName, pair[1].equalsInConstantTime(session) { return .cookie }
        }
        return nil
    }

    public func handle(_ request: AdminRequest) async -> AdminResponse {
        switch (request.method, request.path) {
        case ("GET", "/health"):
            return .json(200, ["status": "ok", "state": await board.state])
        case ("GET", "/"):
            return page(request)
        case ("POST", "/login"):
            let presented = FormFields.decode(String(decoding: request.body, as: UTF8.self))["token"] ?? ""
            guard presented.equalsInConstantTime(token) else {
                log("status page: sign-in refused (wrong token)")
                return .html(401, StatusPage.login(message: "Wrong token."), headers: StatusPage.headers(nonce: StatusPage.nonce()))
            }
            log("status page: signed in")
            return .redirect("/", headers: [("Set-Cookie", StatusPage.setCookie(token: token))])
        case ("POST", "/logout"):
            return .redirect("/", headers: [("Set-Cookie", StatusPage.clearCookie)])
        default:
            break
        }
        guard let credential = credential(request) else { return .error(401, "missing or wrong bearer token") }
        if credential == .cookie, request.method != "GET", request.headers["x-executor-page"] != "1" {
            return .error(403, "a request signed in by cookie must come from the status page (X-Executor-Page: 1)")
        }
        switch (request.method, request.path) {
        case ("GET", "/dashboard"):
            return .json(200, await dashboard.snapshot(board: board, service: service, loop: loop, inbox: inbox))
        case ("GET", "/status"):
            return .json(200, await status())
        case ("GET", "/metrics"):
            return AdminResponse(status: 200, contentType: "text/plain; version=0.0.4", body: Data(service.metrics.prometheusText().utf8))
        case ("POST", "/halt"):
            struct Body: Decodable { var reason: String? }
            let reason = (try? JSONDecoder().decode(Body.self, from: request.body))?.reason ?? "halted through the admin API"
            await service.halt(reason: reason)
            log("HALT via admin API: \(reason)")
            return .json(200, await service.status())
        case ("POST", "/resume"):
            guard await service.resume() else { return .error(500, "resume refused: the journal cannot record it (see status)") }
            log("RESUME via admin API")
            return .json(200, await service.status())
        case ("POST", "/signals"):
            return await signals(request.body)
        case ("POST", "/orders"):
            guard let desk else { return .error(404, "manual orders are not taken by this process") }
            guard let order = try? JSONDecoder.snakeCaseKeys.decode(ManualOrderRequest.self, from: request.body) else {
                return .error(400, "expected {\"intent\", \"ticker\", \"count\", \"price\", \"tif\"}")
            }
            log("ORDER via admin API: \(order.intent) \(order.ticker) \(order.count) @ \(order.price) \(order.tif)")
            let answer = await desk.place(order)
            return .json(answer.outcome == "executed" ? 200 : 422, answer)
        case ("POST", "/cancel-all"):
            let cancelled = await service.cancelAll()
            log("CANCEL-ALL via admin API: \(cancelled) resting order(s) cancelled")
            return .json(200, ["cancelled": cancelled])
        default:
            return .error(404, "no route \(request.method) \(request.path)")
        }
    }

    /// The status page, the sign-in form, or a `?token=` sign-in.
    private func page(_ request: AdminRequest) -> AdminResponse {
        let nonce = StatusPage.nonce()
        if let presented = request.query["token"] {
            guard presented.equalsInConstantTime(token) else {
                log("status page: sign-in refused (wrong token)")
                return .html(401, StatusPage.login(message: "Wrong token."), headers: StatusPage.headers(nonce: nonce))
            }
            log("status page: signed in")
            return .redirect("/", headers: [("Set-Cookie", StatusPage.setCookie(token: token)), ("Referrer-Policy", "no-referrer")])
        }
        guard credential(request) != nil else {
            return .html(401, StatusPage.login(message: nil), headers: StatusPage.headers(nonce: nonce))
        }
        return .html(200, StatusPage.page(nonce: nonce), headers: StatusPage.headers(nonce: nonce))
    }

    func status() async -> AdminStatus {
        let counters = await inbox.counters
        return AdminStatus(state: await board.state, mode: service.mode.rawValue, hybrid: hybrid, execution: await service.status(),
                           loop: await loop.currentStats(), signalsReceived: counters.received, signalsMalformed: counters.malformed,
                           signalsWaiting: await inbox.waiting, signalsRefused: counters.refused, signalsDuplicate: counters.duplicates,
                           traders: await dashboard.traders?.connected ?? [], arbs: await arbs?.stats)
    }

    private func signals(_ body: Data) async -> AdminResponse {
        struct Rejection: Encodable { var line: Int; var reason: String }
        struct Answer: Encodable { var accepted: Int; var rejected: [Rejection] }
        var splitter = LineSplitter(maxLineBytes: inbox.settings.maxLineBytes)
        let lines = splitter.feed(body) + splitter.finish()
        let intake = await inbox.submit(lines)
        let rejected = (intake.malformed + intake.refused).sorted { $0.line < $1.line }.map { Rejection(line: $0.line, reason: $0.reason) }
        intake.malformed.forEach { log("MALFORMED (POST /signals) line \($0.line): \($0.reason)") }
        intake.refused.forEach { log("REFUSED (POST /signals) line \($0.line): \($0.reason)") }
        let status = intake.inboxFull ? 503 : rejected.isEmpty ? 200 : 207
        return .json(status, Answer(accepted: intake.accepted, rejected: rejected))
    }
}

extension JSONDecoder {
    /// Decodes `snake_case` keys into camelCase properties.
    static var snakeCaseKeys: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

/// Where a running executor's admin API can be found by the CLI on the same machine.
public enum AdminEndpoint {
    /// The endpoint file sits beside the token file: `data/admin.token` → `data/admin.endpoint`.
    public static func endpointPath(tokenFile: String) -> String {
        ((tokenFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent("admin.endpoint")
    }
}
