import Foundation
import NIOCore
import NIOWebSocket

/// A frame a simulator session queues for its connection, or a stall (a fault: nothing is sent for a while).
///
/// Frames go through one writer task in the order they were made, so every event and command is atomic:
/// a snapshot can never land inside the deltas of one book change.
enum SimWSOutgoing: Sendable {
    case frame(WebSocketOpcode, Data)
    case stall(Duration)

    /// Drains the outbox onto the connection; a `stall` suppresses everything (pings and pongs too).
    static func write(_ items: AsyncStream<SimWSOutgoing>, to outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) async {
        var stalledUntil: ContinuousClock.Instant?
        for await item in items {
            switch item {
            case let .stall(duration):
                stalledUntil = ContinuousClock.now + duration
            case let .frame(opcode, data):
                if let until = stalledUntil, ContinuousClock.now < until { continue }
                try? await outbound.write(WebSocketFrame(fin: true, opcode: opcode, data: ByteBuffer(bytes: data)))
            }
        }
    }
}
