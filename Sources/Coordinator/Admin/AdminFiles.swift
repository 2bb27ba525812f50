import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The admin API's token file and the endpoint file beside it: private from the first byte (created
/// 0600 under a 0700 directory, never widened then narrowed), never written over a file this program
/// did not write (an `ADMIN_TOKEN_FILE` pointing at a private key must not destroy it), removed on a
/// clean shutdown.
public enum AdminFiles {
    /// A token as this program writes it: 64 lowercase hex digits and a newline.
    static func isToken(_ text: String) -> Bool {
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        return body.utf8.count == 64 && body.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// An endpoint as this program writes it: `http://127.0.0.1:PORT` and a newline.
    static func isEndpoint(_ text: String) -> Bool {
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard body.hasPrefix("http://127.0.0.1:"), let port = Int(body.dropFirst("http://127.0.0.1:".count)) else { return false }
        return (1...65_535).contains(port)
    }

    /// Why `path` may not be (over)written, or `nil` when it may: it does not exist, or it is a regular
    /// file of this user that holds what `isOurs` recognises.
    static func refusal(_ path: String, variable: String, isOurs: (String) -> Bool) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return errno == ENOENT ? nil : "\(variable)=\(path): \(String(cString: strerror(errno)))" }
        guard status.st_mode & S_IFMT == S_IFREG else {
            return "\(variable)=\(path) is not a regular file (a link or a directory); refusing to write the admin token there"
        }
        guard status.st_uid == geteuid() else { return "\(variable)=\(path) belongs to another user; refusing to write over it" }
        guard status.st_size <= 4_096, let text = try? String(contentsOfFile: path, encoding: .utf8), isOurs(text) else {
            return "\(variable)=\(path) exists and was not written by run-executor; refusing to write over it (point \(variable) at a new file)"
        }
        return nil
    }

    /// Checks, before anything connects, that the token file (and the endpoint file beside it) can be
    /// written without destroying anything. Returns the problem, naming the variable and the path.
    public static func check(tokenFile: String) -> String? {
        refusal(tokenFile, variable: "ADMIN_TOKEN_FILE", isOurs: isToken)
            ?? refusal(AdminEndpoint.endpointPath(tokenFile: tokenFile), variable: "ADMIN_TOKEN_FILE (its admin.endpoint)", isOurs: isEndpoint)
    }

    /// Writes `text` to `path` atomically with mode 0600 from the first byte: a fresh file
    /// (`O_CREAT|O_EXCL`, mode 0600) beside it, renamed over `path`.
    public static func writePrivate(_ text: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw RunError(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { break }
            bytes = bytes.dropFirst(written)
        }
        close(fd)
        guard bytes.isEmpty, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw RunError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes the token and endpoint files (after `check` passed).
    public static func write(token: String, endpoint: String, tokenFile: String) throws {
        if let problem = check(tokenFile: tokenFile) { throw RunError(description: problem, isConfiguration: true) }
        try writePrivate(token + "\n", to: tokenFile)
        try writePrivate(endpoint + "\n", to: AdminEndpoint.endpointPath(tokenFile: tokenFile))
    }

    /// Removes both files if they still hold what this run wrote (another run may have replaced them).
    public static func remove(token: String, endpoint: String, tokenFile: String) {
        for (path, content) in [(tokenFile, token), (AdminEndpoint.endpointPath(tokenFile: tokenFile), endpoint)] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), text == content + "\n" else { continue }
            unlink(path)
        }
    }
}
