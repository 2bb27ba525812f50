import AsyncHTTPClient
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// How a transport error bears on a request's fate: whether it provably never left the process (safe to
/// send again) or may have reached the venue (a write's outcome is then unknown).
public enum TransportFailure {
    /// Errors raised before any byte of the request could have reached the server.
    public static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            return [HTTPClientError.connectTimeout, .invalidURL, .emptyHost, .emptyScheme, .alreadyShutdown,
                    .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .httpProxyHandshakeTimeout,
                    .socksHandshakeTimeout].contains(error)
        }
        if error is NIOConnectionError { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        if let error = error as? ChannelError {
            switch error {
            // A pooled connection the server had already closed: the write was refused, nothing left.
            case .connectTimeout, .ioOnClosedChannel: return true
            default: return false
            }
        }
        return false
    }

    public static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "transport: \(error)" }
        return "transport: \(String(describing: error).prefix(200))"
    }
}
