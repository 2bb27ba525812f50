import Foundation
import KalshiWire
import Markets
import TradingClient

// Client CPU per authenticated request, this project's client: run with the simulator in another process
// (`run-executor sim --no-rate-limits --activity-ms 0 …`) so the process's CPU is the client's alone.
//
//   ClientCPU BASE_URL KEY_ID PRIVATE_KEY_PEM_FILE [REQUESTS [KINDS]]   (KINDS: rsa_sign_only,get_balance,create_order_v2)
//
// Prints one line per request kind: `swift <kind> n=… cpu_per_request_us=… wall_p50_us=…`. The requests
// run on the lanes' event loop (CLIENT_CPU_POOL=1: on the concurrency pool, as the order path's sends do).

func processCPUNanoseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
}

let arguments = CommandLine.arguments
guard arguments.count >= 4, let url = URL(string: arguments[1]), let keyID = KalshiKeyID(arguments[2]),
      let pem = try? String(contentsOfFile: arguments[3], encoding: .utf8) else {
    FileHandle.standardError.write(Data("usage: ClientCPU BASE_URL KEY_ID PRIVATE_KEY_PEM_FILE [REQUESTS]\n".utf8))
    exit(2)
}
/// Runs `body` `count` times sequentially after a warm-up; the process CPU and the wall-clock median per call.
func measure(_ kind: String, _ count: Int, _ body: (Int) async throws -> Void) async throws {
    for index in 0..<min(200, count) { try await body(-1 - index) }
    var walls: [Int64] = []
    walls.reserveCapacity(count)
    let cpuBefore = processCPUNanoseconds()
    for index in 0..<count {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body(index)
        walls.append(Int64(DispatchTime.now().uptimeNanoseconds - start))
    }
    let cpu = processCPUNanoseconds() - cpuBefore
    walls.sort()
    print("swift \(kind) n=\(count) cpu_per_request_us=\(cpu / Int64(count) / 1_000) wall_p50_us=\(walls[walls.count / 2] / 1_000) "
          + "wall_p99_us=\(walls[min(walls.count - 1, walls.count * 99 / 100)] / 1_000)")
}

/// The whole run in one nonisolated function: the closures it passes to `measure` are nonisolated too, so
/// a request's task never hops to the main thread and back (top-level code and its closures are on the
/// main actor; an earlier version of this harness paid two extra thread hand-offs per request for that).
func run(url: URL, keyID: KalshiKeyID, pem: String, requests: Int, kinds: Set<String>?) async throws {
    func wanted(_ kind: String) -> Bool { kinds?.contains(kind) ?? true }
    let credentials = KalshiCredentials(keyID: keyID, privateKey: try KalshiPrivateKey(pem: pem))
    var configuration = KalshiTransport.Configuration(baseURL: url, credentials: credentials)
    configuration.clientRateLimit = false
    let client = try KalshiTradingClient(transport: KalshiTransport(configuration), allowsProduction: false)
    // The requests run on the lanes' event loop (the client's `loopExecutor`), so the caller, the write
    // and the answer share a thread: the client's least CPU per request. With CLIENT_CPU_POOL=1 they run
    // on the concurrency pool, as the executor's order path does (each request then crosses threads).
    let preferred = ProcessInfo.processInfo.environment["CLIENT_CPU_POOL"] == "1" ? nil : client.loopExecutor
    try await withTaskExecutorPreference(preferred) {
        try await measureAll(client: client, credentials: credentials, wanted: wanted, requests: requests)
    }
    try await client.shutdown()
}

func measureAll(client: KalshiTradingClient, credentials: KalshiCredentials, wanted: (String) -> Bool, requests: Int) async throws {

    // The RSA floor: one request signature alone.
    let signer = KalshiSigner(credentials: credentials)
    if wanted("rsa_sign_only") { try await measure("rsa_sign_only", requests) { index in
        _ = try signer.headers(method: "GET", path: "/trade-api/v2/portfolio/balance", timestampMilliseconds: 1_700_000_000_000 + Int64(index))
    } }
    let runID = UInt32.random(in: 0...UInt32.max)
    guard let lowest = Price(micros: 10_000) else { exit(1) }
    if wanted("get_balance") { try await measure("get_balance", requests) { _ in _ = try await client.balance() } }
    if wanted("create_order_v2") { try await measure("create_order_v2", requests) { index in
        // An IOC far below the book: the venue cancels it at once (nothing fills, nothing rests).
        let intent = OrderIntent(ticker: "KXNFL-26JAN11-BUF", action: .buy, side: .yes, price: lowest, count: Contracts(hundredths: 100),
                                 timeInForce: .immediateOrCancel, clientOrderID: "cpu-\(runID)-\(index)")
        _ = try await client.createOrder(intent, grid: .linearCent)
    } }
}

try await run(url: url, keyID: keyID, pem: pem, requests: arguments.count > 4 ? Int(arguments[4]) ?? 2_000 : 2_000,
              kinds: arguments.count > 5 ? Set(arguments[5].split(separator: ",").map(String.init)) : nil)
