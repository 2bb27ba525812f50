import Foundation

/// The Kalshi signing vectors of `shared/vectors/kalshi-auth.json`: signatures made by an independent
/// implementation (Python `cryptography`) with a **test key that belongs to no account**. Kept as a
/// fixture so every test target can sign and verify without generating keys.
public struct AuthVectors: Decodable, Sendable {
    public struct Case: Decodable, Sendable {
        public let timestamp_ms: String
        public let method: String
        public let path: String
        public let message: String
        public let signature_b64: String
        public let valid: Bool
        public let why: String?
    }

    public let key_id: String
    public let private_key_pkcs1_pem: String
    public let private_key_pkcs8_pem: String
    public let public_key_pem: String
    public let cases: [Case]

    /// Loads the fixture bundled with this module.
    public static func load() throws -> AuthVectors {
        guard let url = Bundle.module.url(forResource: "kalshi-auth-vectors", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(AuthVectors.self, from: Data(contentsOf: url))
    }
}

/// A scratch directory for one test, removed when the value is dropped by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "executor-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `contents` to `name` inside the directory with the given POSIX mode and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String, mode: Int = 0o600) throws -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// One JSON instance per Kalshi response schema (the spec's example, or one synthesised from the schema
/// by `scripts/gen-spec-examples.py`).
public enum SpecExamples {
    public static func load() throws -> [String: Data] {
        guard let url = Bundle.module.url(forResource: "kalshi-spec-examples", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        return try object.mapValues { try JSONSerialization.data(withJSONObject: $0) }
    }
}
