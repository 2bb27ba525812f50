import AsyncHTTPClient
import ExecutorTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The status page at `GET /` of the admin port, from the outside: sign-in, cookie, the rendered page in a
/// real browser, halt from the page.
@Suite("run-executor: the status page")
struct StatusPageTests {
    static func request(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil) async throws
        -> (status: UInt, headers: HTTPHeaders, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        return (response.status.code, response.headers, String(buffer: try await response.body.collect(upTo: 4 << 20)))
    }

    /// A client that shows redirects instead of following them.
    static let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                   configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    @Test("TS-66 the status page needs the token: a sign-in form (401) without it, 401 for a wrong one, an HttpOnly SameSite=Strict cookie for the right one; the page loads nothing from another host")
    func signIn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try RunningCLI.launch(["--admin-port", "0"], workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: "state ready")
        let (endpoint, token) = try HardeningCLITests.admin(dir)

        let anonymous = try await Self.request(endpoint + "/")
        #expect(anonymous.status == 401 && anonymous.body.contains("<form method=\"post\" action=\"/login\">"))
        #expect(!anonymous.body.contains("id=\"positions\""), "nothing of the run before signing in")
        let wrongQuery = try await Self.request(endpoint + "/?token=not-the-token")
        #expect(wrongQuery.status == 401 && wrongQuery.headers["Set-Cookie"].isEmpty && wrongQuery.body.contains("Wrong token."))
        let wrongForm = try await Self.request(endpoint + "/login", method: .POST, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                               body: "token=nope")
        #expect(wrongForm.status == 401 && wrongForm.headers["Set-Cookie"].isEmpty)
        #expect(try await Self.request(endpoint + "/dashboard").status == 401)
        #expect(try await Self.request(endpoint + "/dashboard", headers: [("Cookie", "executor_session=\(token)")]).status == 401,
                "the cookie is not the token itself")

        let signedIn = try await Self.request(endpoint + "/?token=" + token)
        #expect(signedIn.status == 303 && signedIn.headers["Location"] == ["/"], "the token leaves the address bar")
        let cookie = try #require(signedIn.headers["Set-Cookie"].first)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
        #expect(!cookie.contains(token), "the browser never stores the token")
        let session = String(cookie.prefix { $0 != ";" })
        let form = try await Self.request(endpoint + "/login", method: .POST, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                          body: "token=" + token)
        #expect(form.status == 303 && form.headers["Set-Cookie"].first.map { $0.hasPrefix(session) } == true)

        let page = try await Self.request(endpoint + "/", headers: [("Cookie", session)])
        #expect(page.status == 200 && page.body.contains("id=\"positions\"") && page.body.contains("id=\"halt\""))
        #expect(!page.body.contains("src=") && !page.body.contains("<link") && !page.body.contains("https://"), "inline CSS, script and SVG only")
        let policy = page.headers["Content-Security-Policy"].first ?? ""
        #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"))
        let dashboard = try await Self.request(endpoint + "/dashboard", headers: [("Cookie", session)])
        #expect(dashboard.status == 200 && dashboard.body.contains("\"limits\"") && dashboard.body.contains("MAX_DAILY_LOSS"))
        let forged = try await Self.request(endpoint + "/halt", method: .POST, headers: [("Cookie", session)], body: "{}")
        #expect(forged.status == 403, "a cookie-only POST (what another site's form could send) is refused")
        #expect(run.output.contains { $0.contains("status page: sign-in refused (wrong token)") })
        #expect(!run.output.contains { $0.contains(token) }, "the token is never logged")
        #expect(await run.stop() == 0)
    }

    @Test("TS-67 in a real browser: signed in through the form, the page shows positions and P&L after a trade, refreshes itself, and its halt button stops trading",
          .enabled(if: HeadlessBrowser.executable != nil, "chromium is not installed (scripts/test installs Debian's chromium)"))
    func browser() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try RunningCLI.launch(["--admin-port", "0"], workingDirectory: dir.path)
        _ = try await run.waitForLine(containing: " TRADE syn-")
        let (endpoint, token) = try HardeningCLITests.admin(dir)
        let browser = try HeadlessBrowser.launch()
        defer { browser.stop() }
        let shot = dir.path + "/status-page.png"
        try await browser.withPage { page in
            try await page.call("Page.enable")
            try await page.navigate(endpoint + "/")
            _ = try await page.waitFor("document.title") { $0.contains("sign in") }
            _ = try await page.evaluate("document.getElementById('token').value = \(Self.jsString(token)); document.forms[0].submit(); true")
            _ = try await page.waitFor("document.title") { $0.contains("status") }

            let positions = try await page.waitFor("document.querySelector('#positions tbody').innerText") { $0.contains("KX") }
            #expect(positions.contains("YES") || positions.contains("NO"), "\(positions)")
            let realized = try await page.waitFor("document.getElementById('pnl-realized').textContent") { !$0.isEmpty }
            #expect(Double(realized) != nil, "realised P&L is a number: \(realized)")
            let total = try await page.evaluate("document.getElementById('pnl-total').textContent") ?? ""
            #expect(!total.isEmpty)
            let limits = try await page.evaluate("document.querySelector('#limits tbody').innerText") ?? ""
            #expect(limits.contains("daily loss") && limits.contains("/ 1000.00"), "\(limits)")
            let trades = try await page.evaluate("String(document.querySelectorAll('#trades tbody tr').length)") ?? "0"
            // The page redraws without a reload: the trade count grows while the run trades.
            _ = try await page.waitFor("document.querySelectorAll('#trades tbody tr').length + ':' + document.getElementById('updated').textContent") {
                $0.split(separator: ":").first.flatMap { Int($0) }.map { $0 > (Int(trades) ?? 0) || $0 >= 15 } ?? false
            }
            #expect(try await page.evaluate("String(performance.getEntriesByType('navigation').length)") == "1", "no reload")
            let latency = try await page.evaluate("String(document.querySelectorAll('#latency-chart svg rect').length)") ?? "0"
            #expect((Int(latency) ?? 0) >= 3, "latency chart drawn: \(latency) bars")

            // Halt from the page (the confirmation accepted).
            _ = try await page.evaluate("window.confirm = () => true; document.getElementById('halt').click(); true")
            _ = try await page.waitFor("document.getElementById('breaker-state').textContent") { $0 == "halted" }
            #expect(try await page.evaluate("String(document.getElementById('resume').disabled)") == "false", "resume offered once halted")
            try Data(try await page.screenshot()).write(to: URL(fileURLWithPath: shot))
        }
        let halt = try await run.waitForLine(containing: "HALT via admin API: halted from the status page")
        // Trading stopped: the next signals are blocked by the halt, and nothing trades after that.
        let haltIndex = try #require(run.output.firstIndex(of: halt))
        let deadline = ContinuousClock.now + .seconds(20)
        var blocked: Int?
        while blocked == nil, ContinuousClock.now < deadline {
            blocked = run.output.indices.first { $0 > haltIndex && run.output[$0].contains("BLOCK syn-") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let firstBlock = try #require(blocked, "a signal after the halt is blocked: \(run.tail(10))")
        #expect(run.output[firstBlock].lowercased().contains("halt"), "\(run.output[firstBlock])")
        try await Task.sleep(for: .seconds(2))
        #expect(!run.output[firstBlock...].contains { $0.contains(" TRADE ") }, "\(run.output[firstBlock...])")
        let status = try await AdminCLITests.post(endpoint + "/status", token: token, method: .GET)
        #expect(status.body.contains("\"breaker\":\"halted\""), "\(status.body)")
        #expect(FileManager.default.fileExists(atPath: shot))
        #expect(await run.stop() == 0)
    }

    static func jsString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
