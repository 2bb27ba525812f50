import Foundation
import Markets
import PolymarketWire

/// The Polymarket venue of a run (`POLY_*`): where its CLOB, channels and Gamma are, and, to send orders,
/// the signing key, its signature type and funder, and the L2 API credentials (or none: derived through
/// L1 at start-up). Market data is public: paper trading needs no key at all.
public struct PolymarketConfig: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let productionCLOB = "https://clob.polymarket.com"
    public static let productionWebSocket = "wss://ws-subscriptions-clob.polymarket.com/ws"
    public static let productionGamma = "https://gamma-api.polymarket.com"

    /// `POLY_CLOB_URL`.
    public var clobURL = URL(string: productionCLOB)!
    /// `POLY_WS_URL`: the channels are `<this>/market` and `<this>/user`.
    public var webSocketURL = URL(string: productionWebSocket)!
    /// `POLY_GAMMA_URL`.
    public var gammaURL = URL(string: productionGamma)!
    /// `POLY_PRIVATE_KEY` or `POLY_PRIVATE_KEY_PATH`.
    public var signer: EthereumSigner?
    /// `POLY_SIGNATURE_TYPE`: 0 EOA, 1 Polymarket proxy, 2 Gnosis Safe.
    public var signatureType: PolySignatureType = .eoa
    /// `POLY_FUNDER`: the address holding the funds (types 1 and 2).
    public var funder: EthereumAddress?
    /// `POLY_API_KEY`, `POLY_API_SECRET`, `POLY_API_PASSPHRASE`.
    public var credentials: PolyAPICredentials?

    public init() {}

    /// Polymarket runs only on production: its CLOB hosts move real money.
    public static func isProduction(_ url: URL) -> Bool {
        guard let host = url.host?.lowercased() else { return false }
        return host == "polymarket.com" || host.hasSuffix(".polymarket.com")
    }

    public var isProduction: Bool { Self.isProduction(clobURL) }

    public var description: String {
        "Polymarket(clob \(clobURL.absoluteString), ws \(webSocketURL.absoluteString), gamma \(gammaURL.absoluteString), "
            + "signer \(signer.map { $0.address.checksummed } ?? "none"), key redacted)"
    }
    public var debugDescription: String { description }
    /// `dump` sees the description only: no field of a key or an API secret.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }

    /// Every `POLY_*` variable.
    public static let variables = [
        "POLY_CLOB_URL", "POLY_WS_URL", "POLY_GAMMA_URL", "POLY_PRIVATE_KEY", "POLY_PRIVATE_KEY_PATH", "POLY_SIGNATURE_TYPE", "POLY_FUNDER",
        "POLY_API_KEY", "POLY_API_SECRET", "POLY_API_PASSPHRASE",
    ]
    public static let secretVariables: Set<String> = ["POLY_PRIVATE_KEY", "POLY_API_SECRET", "POLY_API_PASSPHRASE"]
}

extension VariableReader {
    /// Reads `POLY_*`. `sendsOrders`: a key is required, and a production CLOB only in live mode.
    mutating func polymarket(sendsOrders: Bool, live: Bool, warnings: inout [String]) -> PolymarketConfig {
        var config = PolymarketConfig()
        config.clobURL = url("POLY_CLOB_URL", schemes: ["https", "http"], default: config.clobURL) ?? config.clobURL
        config.webSocketURL = url("POLY_WS_URL", schemes: ["wss", "ws"], default: config.webSocketURL) ?? config.webSocketURL
        config.gammaURL = url("POLY_GAMMA_URL", schemes: ["https", "http"], default: config.gammaURL) ?? config.gammaURL
        if sendsOrders, !live, config.isProduction {
            problem("POLY_CLOB_URL", """
                \(config.clobURL.host ?? "") is Polymarket's production CLOB (real money; Polymarket has no demo venue), refused \
                unless ENVIRONMENT=live; paper-trade (PAPER_TRADING=true) on its public data instead, or point POLY_CLOB_URL at a simulator
                """)
        }

        // The signing key.
        if let key = secret(inline: "POLY_PRIVATE_KEY", file: "POLY_PRIVATE_KEY_PATH", warnings: &warnings) {
            do { config.signer = try EthereumSigner(privateKeyHex: key.text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
                problem(key.variable, "\(error.description)")
            }
        } else if sendsOrders {
            problem("POLY_PRIVATE_KEY or POLY_PRIVATE_KEY_PATH", "required to send Polymarket orders (the EOA that signs them; 64 hex digits)")
        }

        // Who holds the funds.
        let typeText = raw("POLY_SIGNATURE_TYPE")
        if let typeText {
            if let number = UInt8(typeText), let type = PolySignatureType(rawValue: number) { config.signatureType = type } else {
                problem("POLY_SIGNATURE_TYPE", "\(Self.quoted(typeText)) is not 0 (EOA), 1 (Polymarket proxy) or 2 (Gnosis Safe)")
            }
        }
        record("POLY_SIGNATURE_TYPE", String(config.signatureType.rawValue))
        if let funderText = raw("POLY_FUNDER") {
            if let address = EthereumAddress(hex: funderText) { config.funder = address } else {
                problem("POLY_FUNDER", "\(Self.quoted(funderText)) is not an Ethereum address (0x and 40 hex digits)")
            }
        }
        record("POLY_FUNDER", config.funder?.checksummed ?? "(unset)")
        if let signer = config.signer {
            do { _ = try PolyOrderBuilder(signer: signer, signatureType: config.signatureType, funder: config.funder) } catch {
                problem(config.signatureType == .eoa ? "POLY_FUNDER" : "POLY_FUNDER", error.description)
            }
        }

        // L2 credentials: all three or none.
        let key = raw("POLY_API_KEY"), secret = raw("POLY_API_SECRET"), passphrase = raw("POLY_API_PASSPHRASE")
        record("POLY_API_KEY", key.map { String($0.prefix(4)) + "…" } ?? "(unset)")
        record("POLY_API_SECRET", secret == nil ? "(unset)" : "(set, redacted)")
        record("POLY_API_PASSPHRASE", passphrase == nil ? "(unset)" : "(set, redacted)")
        let given = [("POLY_API_KEY", key), ("POLY_API_SECRET", secret), ("POLY_API_PASSPHRASE", passphrase)]
        if given.contains(where: { $0.1 != nil }) {
            let missing = given.filter { $0.1 == nil }.map(\.0)
            if !missing.isEmpty {
                problem(missing.joined(separator: ", "), "missing: the API credentials come as POLY_API_KEY, POLY_API_SECRET and POLY_API_PASSPHRASE together "
                        + "(or none of them: derived through L1 at start-up)")
            } else if let key, let secret, let passphrase {
                let credentials = PolyAPICredentials(apiKey: key, secret: secret, passphrase: passphrase)
                if (try? PolyL2.signature(secret: secret, timestamp: "0", method: "GET", path: "/", body: [UInt8]())) == nil {
                    problem("POLY_API_SECRET", "is not (URL-safe) base64 (not shown)")
                } else {
                    config.credentials = credentials
                }
                if config.signer == nil { problem("POLY_PRIVATE_KEY or POLY_PRIVATE_KEY_PATH", "required with POLY_API_KEY (L2 requests carry the signer's address)") }
            }
        }
        return config
    }
}
