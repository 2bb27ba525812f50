import Foundation
import Markets
import TOMLKit

/// `~/.arb/config.toml`, written by `run-executor bootstrap`: this machine's role in a controller/trader
/// deployment. Its values are the lowest-precedence configuration (below `.env` files and the
/// environment): `beacon_port` is `BEACON_PORT`; a controller's `ws_port` is `TRADER_LISTEN` on loopback;
/// a trader's `platform` is its default `--platform`.
public struct BootstrapFile: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
        case controller
        case trader
    }

    public var role: Role
    public var beaconPort: Int
    public var wsPort: Int
    public var platform: Platform?

    enum CodingKeys: String, CodingKey { case role, beaconPort = "beacon_port", wsPort = "ws_port", platform }

    public init(role: Role, beaconPort: Int = 9_000, wsPort: Int = 9_001, platform: Platform? = nil) {
        self.role = role
        self.beaconPort = beaconPort
        self.wsPort = wsPort
        self.platform = platform
    }

    /// `HOME/.arb/config.toml`.
    public static func path(home: String) -> String { (home as NSString).appendingPathComponent(".arb/config.toml") }

    /// The file's text.
    public var toml: String {
        var lines = ["# written by run-executor bootstrap", "role = \"\(role.rawValue)\"", "beacon_port = \(beaconPort)", "ws_port = \(wsPort)"]
        if let platform { lines.append("platform = \"\(platform.rawValue)\"") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the file's text; an error names what is wrong.
    public static func parse(_ text: String, source: String) throws(ConfigLoadError) -> BootstrapFile {
        let file: BootstrapFile
        do { file = try TOMLDecoder().decode(BootstrapFile.self, from: text) } catch {
            throw ConfigLoadError("\(source): not a bootstrap file (role = \"controller\" or \"trader\", beacon_port, ws_port): \(error)")
        }
        for (name, port) in [("beacon_port", file.beaconPort), ("ws_port", file.wsPort)] where !(0...65_535).contains(port) {
            throw ConfigLoadError("\(source): \(name) \(port) is out of range (0…65535)")
        }
        return file
    }

    /// The file under `home`, when there is one.
    public static func load(home: String?) throws(ConfigLoadError) -> BootstrapFile? {
        guard let home, !home.isEmpty else { return nil }
        let path = path(home: home)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// The variables it stands for.
    var variables: [String: String] {
        var values = ["BEACON_PORT": String(beaconPort)]
        if role == .controller { values["TRADER_LISTEN"] = "127.0.0.1:\(wsPort)" }
        return values
    }
}
