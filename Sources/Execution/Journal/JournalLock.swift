import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who holds a journal's lock: read from `<journal>.lock`.
public struct JournalHolder: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    /// What the holder is doing (`run`, `order`, `cancel-all`, `halt`…).
    public var command: String
    /// The holder's admin API, once it listens (a run): commands go through it instead of the journal.
    public var adminEndpoint: String?

    public var description: String { "pid \(pid) (run-executor \(command))" }
}

/// Another process trades on this journal.
public struct JournalBusyError: Error, Sendable, CustomStringConvertible {
    public let journal: String
    public let holder: JournalHolder?

    public var description: String {
        "journal \(journal) is in use by " + (holder.map(\.description) ?? "another process")
            + "; one process trades on a journal at a time (stop it, or use a running executor's admin API)"
    }
}

/// One writer per journal: an exclusive `flock(2)` on `<journal>.lock`, held for as long as a process
/// may trade on the journal (a run, a manual order, cancel-all). The lock dies with the process, so a
/// killed holder never leaves a stale lock. The file names the holder (pid, command, admin endpoint) so
/// a second command can say who holds it, or hand its work to the running executor's admin API.
public final class JournalLock: Sendable {
    public let path: String
    public let journalPath: String
    private let descriptor: Int32
    private let command: String

    private init(path: String, journalPath: String, descriptor: Int32, command: String) {
        self.path = path
        self.journalPath = journalPath
        self.descriptor = descriptor
        self.command = command
    }

    public static func lockPath(journal: String) -> String { journal + ".lock" }

    /// Takes the lock or throws `JournalBusyError` naming the holder. Creates the journal's directory
    /// (mode 0700) and the lock file (0600) as needed.
    public static func acquire(journal: String, command: String) throws -> JournalLock {
        try JournalFiles.prepareDirectory(for: journal)
        let path = lockPath(journal: journal)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw JournalError("cannot open the journal lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(fd)
            if busy { throw JournalBusyError(journal: journal, holder: holder(journal: journal)) }
            throw JournalError("cannot lock the journal \(journal): \(String(cString: strerror(errno)))")
        }
        let lock = JournalLock(path: path, journalPath: journal, descriptor: fd, command: command)
        lock.publish(adminEndpoint: nil)
        return lock
    }

    /// Rewrites the holder record (after the admin API starts listening).
    public func publish(adminEndpoint: String?) {
        var text = "pid=\(getpid())\ncommand=\(command)\n"
        if let adminEndpoint { text += "admin=\(adminEndpoint)\n" }
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Releases the lock (also released when the process exits, however it exits).
    public func release() {
        _ = ftruncate(descriptor, 0)
        _ = flock(descriptor, LOCK_UN)
    }

    deinit { close(descriptor) }

    /// Who holds the journal's lock, if the lock file names someone.
    public static func holder(journal: String) -> JournalHolder? {
        guard let text = try? String(contentsOfFile: lockPath(journal: journal), encoding: .utf8) else { return nil }
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let pidText = fields["pid"], let pid = Int32(pidText) else { return nil }
        return JournalHolder(pid: pid, command: fields["command"] ?? "?", adminEndpoint: fields["admin"])
    }

    /// Whether a process holds the journal's lock now (a probe that takes and drops it).
    public static func isHeld(journal: String) -> Bool {
        let fd = open(lockPath(journal: journal), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        _ = flock(fd, LOCK_UN)
        return false
    }
}

/// File modes of the journal's files: the directory 0700, the database, its WAL, its intent log and lock
/// 0600, created that way from the first byte.
enum JournalFiles {
    /// Creates the journal's directory (0700) when missing.
    static func prepareDirectory(for journal: String) throws {
        let directory = (journal as NSString).deletingLastPathComponent
        guard !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Creates `path` empty with mode 0600 when missing; narrows an existing file of ours to 0600.
    static func ensurePrivate(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw JournalError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        if fstat(fd, &status) == 0, status.st_mode & 0o077 != 0 { _ = fchmod(fd, 0o600) }
    }

    /// Narrows the database's companion files (`-wal`, `-shm`) to 0600 if they exist.
    static func narrowCompanions(of path: String) {
        for suffix in ["-wal", "-shm"] {
            let companion = path + suffix
            guard FileManager.default.fileExists(atPath: companion) else { continue }
            _ = chmod(companion, 0o600)
        }
    }
}
