import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One request to the admin API.
public struct AdminRequest: Sendable {
    public var method: String
    public var path: String
    /// Lower-cased header names.
    public var headers: [String: String]
    public var body: Data
}

/// One response of the admin API.
public struct AdminResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data

    public static func json(_ status: Int, _ value: some Encodable) -> AdminResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return AdminResponse(status: status, contentType: "application/json", body: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    public static func error(_ status: Int, _ message: String) -> AdminResponse { json(status, ["error": message]) }
}

/// A small HTTP/1.1 server on 127.0.0.1 for the admin API (SwiftNIO async channels).
public final class AdminServer: Sendable {
    public let port: Int
    private let channel: any Channel
    private let task: Task<Void, Never>

    private init(port: Int, channel: any Channel, task: Task<Void, Never>) {
        self.port = port
        self.channel = channel
        self.task = task
    }

    /// Binds `127.0.0.1:port` (0 picks a free port) and serves `handler`.
    public static func start(port: Int, handler: @escaping @Sendable (AdminRequest) async -> AdminResponse) async throws -> AdminServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        let bound = server.channel.localAddress?.port ?? port
        let task = Task<Void, Never> {
            try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in connections {
                            group.addTask { await serve(connection, handler) }
                        }
                    } catch {}
                    group.cancelAll()
                }
            }
        }
        return AdminServer(port: bound, channel: server.channel, task: task)
    }

    public func stop() async {
        try? await channel.close()
        task.cancel()
        await task.value
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                              _ handler: @Sendable (AdminRequest) async -> AdminResponse) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case let .head(requestHead):
                    head = requestHead
                    body.clear()
                case var .body(chunk):
                    guard body.readableBytes + chunk.readableBytes <= 4 << 20 else { return }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let requestHead = head else { continue }
                    var headers: [String: String] = [:]
                    for (name, value) in requestHead.headers { headers[name.lowercased()] = value }
                    let path = String(requestHead.uri.split(separator: "?", maxSplits: 1).first ?? "/")
                    let response = await handler(AdminRequest(method: requestHead.method.rawValue, path: path, headers: headers,
                                                              body: Data(body.readableBytesView)))
                    var responseHeaders = HTTPHeaders()
                    responseHeaders.add(name: "Content-Type", value: response.contentType)
                    responseHeaders.add(name: "Content-Length", value: String(response.body.count))
                    responseHeaders.add(name: "Connection", value: requestHead.isKeepAlive ? "keep-alive" : "close")
                    try await outbound.write(.head(HTTPResponseHead(version: requestHead.version, status: HTTPResponseStatus(statusCode: response.status),
                                                                    headers: responseHeaders)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                    if !requestHead.isKeepAlive { return }
                    head = nil
                }
            }
        }
    }
}
