import Crypto
import Foundation
import Markets

/// Mutual authentication over a shared secret before anything else crosses the link. Each side proves it
/// holds the secret with an HMAC-SHA256 over both sides' fresh nonces (so a recorded proof is worthless
/// on another connection); the secret itself never crosses the wire. The controller proves itself first:
/// a trader never takes a leg from a process that does not hold the secret.
public enum TraderHandshake {
    /// 32 random bytes, lowercase hex.
    public static func nonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    private static func proof(_ role: String, secret: [UInt8], hello: TraderMessage.Hello, controllerNonce: String) -> String {
        let platforms = hello.platforms.map(\.rawValue).sorted().joined(separator: ",")
        let message = "run-executor trader link v\(hello.version)\n\(role)\n\(hello.nonce)\n\(controllerNonce)\n\(platforms)"
        let code = HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: secret))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    /// What the controller sends to prove it holds the secret.
    public static func controllerProof(secret: [UInt8], hello: TraderMessage.Hello, controllerNonce: String) -> String {
        proof("controller", secret: secret, hello: hello, controllerNonce: controllerNonce)
    }

    /// What the trader sends to prove it holds the secret.
    public static func traderProof(secret: [UInt8], hello: TraderMessage.Hello, controllerNonce: String) -> String {
        proof("trader", secret: secret, hello: hello, controllerNonce: controllerNonce)
    }

    /// Constant-time comparison of two proofs.
    public static func matches(_ presented: String, _ expected: String) -> Bool { presented.equalsInConstantTime(expected) }

    static func isNonce(_ text: String) -> Bool { text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } }
}

/// What a handshake step asks of the connection.
public enum HandshakeStep: Sendable, Hashable {
    case send(TraderMessage)
    /// Authenticated: the trader's platforms (controller side) or the controller's `init` (trader side).
    case authenticated([Platform], dryRun: Bool)
    /// Refuse (log the reason, send nothing more, close).
    case refuse(String)
}

/// The controller's side: `hello` → `challenge`, `auth` → authenticated (then it sends `init`).
public struct ControllerHandshake: Sendable {
    private enum State: Sendable {
        case awaitingHello
        case awaitingAuth(TraderMessage.Hello, nonce: String)
        case done
    }

    private let secret: [UInt8]
    private var state = State.awaitingHello

    public init(secret: [UInt8]) { self.secret = secret }

    public mutating func receive(_ message: TraderMessage) -> HandshakeStep {
        switch (state, message) {
        case let (.awaitingHello, .hello(hello)):
            guard hello.version == TraderMessage.version else {
                state = .done
                return .refuse("protocol version \(hello.version); this controller speaks \(TraderMessage.version)")
            }
            guard TraderHandshake.isNonce(hello.nonce), !hello.platforms.isEmpty else {
                state = .done
                return .refuse("hello without a 32-byte hex nonce or without platforms")
            }
            let nonce = TraderHandshake.nonce()
            state = .awaitingAuth(hello, nonce: nonce)
            return .send(.challenge(.init(nonce: nonce, proof: TraderHandshake.controllerProof(secret: secret, hello: hello, controllerNonce: nonce))))
        case let (.awaitingAuth(hello, nonce), .auth(auth)):
            state = .done
            guard TraderHandshake.matches(auth.proof, TraderHandshake.traderProof(secret: secret, hello: hello, controllerNonce: nonce)) else {
                return .refuse("wrong secret (the trader's proof does not match)")
            }
            return .authenticated(Array(Set(hello.platforms)).sorted { $0.rawValue < $1.rawValue }, dryRun: false)
        default:
            state = .done
            return .refuse("\(message.type) before the handshake completed")
        }
    }
}

/// The trader's side: `hello` first, `challenge` (the controller's proof checked) → `auth`, `init` →
/// authenticated.
public struct TraderSideHandshake: Sendable {
    private enum State: Sendable {
        case awaitingChallenge
        case awaitingInit
        case done
    }

    private let secret: [UInt8]
    public let hello: TraderMessage.Hello
    private var state = State.awaitingChallenge

    public init(secret: [UInt8], platforms: [Platform]) {
        self.secret = secret
        hello = TraderMessage.Hello(platforms: platforms, nonce: TraderHandshake.nonce())
    }

    /// The first frame.
    public var opening: TraderMessage { .hello(hello) }

    public mutating func receive(_ message: TraderMessage) -> HandshakeStep {
        switch (state, message) {
        case let (.awaitingChallenge, .challenge(challenge)):
            guard TraderHandshake.isNonce(challenge.nonce),
                  TraderHandshake.matches(challenge.proof, TraderHandshake.controllerProof(secret: secret, hello: hello, controllerNonce: challenge.nonce)) else {
                state = .done
                return .refuse("the controller does not hold the secret (its proof does not match): no leg will be taken from it")
            }
            state = .awaitingInit
            return .send(.auth(.init(proof: TraderHandshake.traderProof(secret: secret, hello: hello, controllerNonce: challenge.nonce))))
        case let (.awaitingInit, .initialize(initial)):
            state = .done
            let refused = Set(initial.platforms).subtracting(hello.platforms)
            guard refused.isEmpty else {
                return .refuse("the controller would route \(refused.map(\.rawValue).sorted().joined(separator: ", ")), which this trader does not trade")
            }
            return .authenticated(initial.platforms, dryRun: initial.dryRun)
        case let (_, .error(error)):
            state = .done
            return .refuse("the controller refused: \(error.message)")
        default:
            state = .done
            return .refuse("\(message.type) before the handshake completed")
        }
    }
}
