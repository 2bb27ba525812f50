import NIOCore
import NIOSSL

/// `wss://` for the trader link. The controller serves TLS with `TRADER_TLS_CERT` and `TRADER_TLS_KEY`
/// (PEM files); a trader verifies it against `TRADER_TLS_CA` (a PEM file of the certificate or its
/// issuer; the system's roots when unset), host name included. The HMAC handshake still runs inside.
public struct TraderTLS: Sendable {
    public let client: TLSConfiguration

    /// A trader's TLS: verify the controller against `caFile`'s certificates, or the system roots.
    public init(trusting caFile: String?) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
        configuration.certificateVerification = .fullVerification
        client = configuration
    }
}

/// The controller's TLS context for `wss://`.
public struct TraderServerTLS: Sendable {
    let context: NIOSSLContext

    public init(certificateFile: String, keyFile: String) throws {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        context = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
    }
}
