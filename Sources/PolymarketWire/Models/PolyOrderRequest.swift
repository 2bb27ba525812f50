import Foundation

/// A `POST /order` body read back into a signed order (the simulator's side of `SignedPolyOrder.postBody`),
/// every field checked, a bad one named with its value.
public struct PolyOrderRequest: Hashable, Sendable {
    public var order: PolyOrder
    /// 65 bytes `r ‖ s ‖ v`.
    public var signature: [UInt8]
    /// The API key the order is placed for.
    public var owner: String
    public var orderType: PolyOrderType
    public var deferExec: Bool
    public var postOnly: Bool

    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    private struct Body: Decodable {
        var order: Order
        var owner: String
        var orderType: String?
        var deferExec: Bool?
        var postOnly: Bool?
    }

    private struct Order: Decodable {
        var salt: Salt
        var maker: String
        var signer: String
        var tokenId: String
        var makerAmount: String
        var takerAmount: String
        var side: String
        var expiration: String?
        var signatureType: UInt8
        var timestamp: String
        var metadata: String?
        var builder: String?
        var signature: String
    }

    /// `salt` is a JSON number in the official clients' bodies; a string is read too.
    private struct Salt: Decodable {
        var value: UInt256?
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(UInt64.self) { value = UInt256(number) } else {
                value = UInt256(decimal: try container.decode(String.self))
            }
        }
    }

    /// Reads one order body.
    public static func decode(_ data: Data) throws(Invalid) -> PolyOrderRequest {
        let body: Body
        do { body = try JSONDecoder().decode(Body.self, from: data) } catch { throw Invalid("Invalid order payload: \(Self.describeDecoding(error))") }
        return try make(body)
    }

    /// Reads a `POST /orders` body: an array of order bodies.
    public static func decodeBatch(_ data: Data) throws(Invalid) -> [PolyOrderRequest] {
        let bodies: [Body]
        do { bodies = try JSONDecoder().decode([Body].self, from: data) } catch { throw Invalid("Invalid order payload: \(Self.describeDecoding(error))") }
        var out: [PolyOrderRequest] = []
        for body in bodies { out.append(try make(body)) }
        return out
    }

    private static func make(_ body: Body) throws(Invalid) -> PolyOrderRequest {
        let wire = body.order
        func field<T>(_ name: String, _ text: String, _ parse: (String) -> T?) throws(Invalid) -> T {
            guard let value = parse(text) else { throw Invalid("Invalid order payload: \(name) \"\(text.prefix(80))\"") }
            return value
        }
        guard let salt = wire.salt.value else { throw Invalid("Invalid order payload: salt") }
        let maker = try field("maker", wire.maker) { EthereumAddress(hex: $0) }
        let signer = try field("signer", wire.signer) { EthereumAddress(hex: $0) }
        let token = try field("tokenId", wire.tokenId) { UInt256(decimal: $0) }
        let makerAmount = try field("makerAmount", wire.makerAmount) { UInt64($0) }
        let takerAmount = try field("takerAmount", wire.takerAmount) { UInt64($0) }
        let side = try field("side", wire.side) { PolySide(wire: $0) }
        let expiration = try field("expiration", wire.expiration ?? "0") { UInt64($0) }
        guard let type = PolySignatureType(rawValue: wire.signatureType) else { throw Invalid("Invalid order payload: signatureType \(wire.signatureType)") }
        let timestamp = try field("timestamp", wire.timestamp) { UInt64($0) }
        let metadata = try field("metadata", wire.metadata ?? Hex.encode(PolyOrder.zero32)) { Hex.decode($0).flatMap { $0.count == 32 ? $0 : nil } }
        let builder = try field("builder", wire.builder ?? Hex.encode(PolyOrder.zero32)) { Hex.decode($0).flatMap { $0.count == 32 ? $0 : nil } }
        let signature = try field("signature", wire.signature) { Hex.decode($0).flatMap { $0.count == 65 ? $0 : nil } }
        let orderType = try field("orderType", body.orderType ?? "GTC") { PolyOrderType(rawValue: $0.uppercased()) }
        let order = PolyOrder(salt: salt, maker: maker, signer: signer, tokenID: token, makerAmount: makerAmount, takerAmount: takerAmount, side: side,
                              signatureType: type, timestamp: timestamp, metadata: metadata, builder: builder, expiration: expiration)
        return PolyOrderRequest(order: order, signature: signature, owner: body.owner, orderType: orderType, deferExec: body.deferExec ?? false,
                                postOnly: body.postOnly ?? false)
    }

    /// A decoding error in a few words (the path of the field at fault).
    public static func describeDecoding(_ error: any Error) -> String {
        switch error as? DecodingError {
        case let .keyNotFound(key, context)?: "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case let .typeMismatch(_, context)?, let .valueNotFound(_, context)?:
            "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case let .dataCorrupted(context)?: "not JSON (\(context.debugDescription))"
        default: "unreadable"
        }
    }
}
