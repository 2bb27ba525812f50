import AsyncHTTPClient
import Foundation
import Logging
import WSClient

/// A headless Chromium driven over the DevTools protocol, for tests that check what a page renders
/// (the status page). Tests that need it skip, saying why, where no browser is installed.
public final class HeadlessBrowser: @unchecked Sendable {
    // @unchecked: the process is only touched by `launch`, `stop` and `deinit`.
    private let process: Process
    private let profile: URL

    /// The browser binary: `$CHROMIUM`, else Debian's `chromium`, else none.
    public static var executable: String? {
        [ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init(process: Process, profile: URL) {
        self.process = process
        self.profile = profile
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: profile)
    }

    /// Starts the browser on `about:blank` with a fresh profile and a DevTools port of its choosing.
    public static func launch() throws -> HeadlessBrowser {
        guard let executable else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "chromium"]) }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--remote-debugging-port=0",
                             "--remote-allow-origins=*", "--user-data-dir=\(profile.path)", "--window-size=1300,1400", "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return HeadlessBrowser(process: process, profile: profile)
    }

    /// Ends the browser (without waiting for it: a blocking wait on the concurrency pool could starve the
    /// test's own servers).
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// The DevTools WebSocket of the browser's first page, once the browser has written its port.
    public func pageSocketURL(timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = text.split(separator: "\n").first.flatMap({ Int($0) }),
               let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/json/list"), timeout: .seconds(5)),
               let body = try? await response.body.collect(upTo: 1 << 20),
               let targets = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]],
               let page = targets.first(where: { $0["type"] as? String == "page" }), let url = page["webSocketDebuggerUrl"] as? String {
                return url
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "the browser wrote no DevTools port within \(timeout)"])
    }

    /// Opens a DevTools session on the page and runs `body` with it.
    public func withPage<T: Sendable>(_ body: @escaping @Sendable (DevToolsPage) async throws -> T) async throws -> T {
        let url = try await pageSocketURL()
        let result = ResultBox<T>()
        var logger = Logger(label: "devtools")
        logger.logLevel = .critical
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = 64 << 20
        _ = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            let page = DevToolsPage(inbound: inbound.messages(maxSize: 64 << 20).makeAsyncIterator(), outbound: outbound)
            result.value = .success(try await body(page))
            try await outbound.close(.normalClosure, reason: nil)
        }
        guard let value = result.value else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "DevTools session ended early"]) }
        return try value.get()
    }
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: written once inside the session, read after it ends.
    var value: Result<T, any Error>?
}

/// One DevTools session on a page: commands answered in order (events in between are skipped).
public final class DevToolsPage: @unchecked Sendable {
    // @unchecked: used by one test task at a time, sequentially.
    private var inbound: WebSocketInboundMessageStream.AsyncIterator
    private let outbound: WebSocketOutboundWriter
    private var nextID = 0

    init(inbound: WebSocketInboundMessageStream.AsyncIterator, outbound: WebSocketOutboundWriter) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Sends a DevTools command and returns its `result`.
    @discardableResult
    public func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        nextID += 1
        let id = nextID
        let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params])
        try await outbound.write(.text(String(decoding: message, as: UTF8.self)))
        while let frame = try await inbound.next() {
            guard case let .text(text) = frame,
                  let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], object["id"] as? Int == id else { continue }
            if let error = object["error"] as? [String: Any] {
                throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(method): \(error["message"] ?? error)"])
            }
            return object["result"] as? [String: Any] ?? [:]
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "DevTools closed before answering \(method)"])
    }

    public func navigate(_ url: String) async throws {
        try await call("Page.navigate", ["url": url])
    }

    /// Evaluates `expression` in the page and returns its value as a string (`nil` for null/undefined).
    public func evaluate(_ expression: String) async throws -> String? {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "page threw: \(exception["text"] ?? exception)"])
        }
        guard let value = (result["result"] as? [String: Any])?["value"] else { return nil }
        if let text = value as? String { return text }
        if value is NSNull { return nil }
        return "\(value)"
    }

    /// Polls `expression` until it evaluates to a string for which `accept` holds.
    public func waitFor(_ expression: String, timeout: Duration = .seconds(30), _ accept: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var last: String?
        while ContinuousClock.now < deadline {
            last = try? await evaluate(expression)
            if let last, accept(last) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(expression) never matched; last value: \(last ?? "nil")"])
    }

    /// A PNG of the page as it renders now.
    public func screenshot() async throws -> Data {
        let result = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else { return Data() }
        return data
    }
}
