import Foundation
import Markets
import Synchronization

/// What a remote leg came to, as the controller saw it.
public enum RemoteLegAnswer: Sendable, Hashable {
    /// The trader answered with the leg's result.
    case result(TraderMessage.LegResultMessage)
    /// Nothing was sent: no trader serves the platform now (definitive).
    case notSent(String)
    /// The leg was handed to the trader but no result came (it went away, or took too long): the outcome
    /// is unknown until the trader is asked again (`leg_status`).
    case lost(String)
}

/// A trader could not be asked about a leg.
public struct TraderUnavailable: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The platforms served by a connected trader, readable without waiting (the arbitrage engine checks
/// every leg's path before it sends anything).
public final class TraderPaths: Sendable {
    private let platforms = Mutex<Set<Platform>>([])
    public init() {}
    public var current: Set<Platform> { platforms.withLock { $0 } }
    func set(_ value: Set<Platform>) { platforms.withLock { $0 = value } }
}

/// Traders connected to this controller, at most one per platform, and the legs handed to them.
///
/// A second trader for a platform already served is refused (the first keeps its legs in flight; a trader
/// that went away is removed when its connection ends, after which its replacement is admitted). A leg
/// handed to a trader waits for its `leg_result`; if the trader goes away or takes longer than the leg's
/// timeout, the leg is `lost` (ambiguous), and a result arriving later is kept for `status`.
public actor TraderRegistry {
    public struct Connected: Sendable, Hashable, Codable {
        public var platforms: [Platform]
        public var address: String
        /// When it authenticated (ISO 8601, UTC).
        public var since: String
        public var lastPong: String?
        public var legsInFlight: Int
        /// The cash each of its platforms reported last.
        public var available: [String: String]?
    }

    private struct Link {
        var info: Connected
        let send: @Sendable (TraderMessage) async throws -> Void
        /// Wall-clock ms of the last pong (liveness).
        var lastPongMs: Int64
        /// Its `init` has been written: until then a leg would reach it before the handshake's last frame,
        /// and the trader would refuse it and close (the leg lost).
        var active = false
    }

    private struct Waiting {
        let link: UUID
        let continuation: CheckedContinuation<RemoteLegAnswer, Never>
        var timer: Task<Void, Never>?
    }

    private var links: [UUID: Link] = [:]
    private var waiting: [String: Waiting] = [:]
    private var asking: [String: [CheckedContinuation<TraderMessage.LegResultMessage?, Never>]] = [:]
    /// Results that came after their leg was given up on (or unasked for), newest last, bounded.
    private var late: [String: TraderMessage.LegResultMessage] = [:]
    private var lateOrder: [String] = []
    private var balances: [Platform: Dollars] = [:]
    /// Sync view of the platforms served.
    public nonisolated let paths = TraderPaths()
    private var log: @Sendable (String) -> Void = { _ in }

    public init() {}

    public func setLog(_ log: @escaping @Sendable (String) -> Void) { self.log = log }

    /// Admits an authenticated trader (its platforms are taken; it serves legs once `activate`d, after its
    /// `init` is written), or says which platform is already served and by whom.
    func admit(platforms: [Platform], address: String, send: @escaping @Sendable (TraderMessage) async throws -> Void) -> Result<UUID, TraderFrameError> {
        for (_, link) in links {
            if let taken = platforms.first(where: link.info.platforms.contains) {
                return .failure(TraderFrameError("a \(taken.rawValue) trader is already connected (from \(link.info.address) since \(link.info.since))"))
            }
        }
        let id = UUID()
        links[id] = Link(info: Connected(platforms: platforms, address: address, since: Date().ISO8601Format(), lastPong: nil, legsInFlight: 0),
                         send: send, lastPongMs: Self.nowMs())
        return .success(id)
    }

    /// The admitted trader `id` has its `init`: legs may go to it now.
    func activate(_ id: UUID) {
        links[id]?.active = true
        publishPaths()
    }

    /// The trader's connection ended: its legs without a result are lost (ambiguous), never failed.
    func remove(_ id: UUID) {
        guard let link = links.removeValue(forKey: id) else { return }
        publishPaths()
        for platform in link.info.platforms { balances[platform] = nil }
        for (legID, entry) in waiting where entry.link == id {
            waiting[legID] = nil
            entry.timer?.cancel()
            entry.continuation.resume(returning: .lost("the \(link.info.platforms.map(\.rawValue).joined(separator: ",")) trader at \(link.info.address) disconnected before answering"))
        }
        for (legID, waiters) in asking {
            asking[legID] = nil
            for waiter in waiters { waiter.resume(returning: nil) }
        }
    }

    /// The trader is stopping: no more legs go to it (its connection ends soon after).
    func retire(_ id: UUID) {
        guard var link = links[id] else { return }
        link.info.platforms = []
        links[id] = link
        publishPaths()
    }

    func ponged(_ id: UUID) {
        links[id]?.info.lastPong = Date().ISO8601Format()
        links[id]?.lastPongMs = Self.nowMs()
    }

    /// Milliseconds since the trader's last pong (or since it connected).
    func silence(_ id: UUID) -> Int64? { links[id].map { Self.nowMs() - $0.lastPongMs } }

    func reported(_ id: UUID, _ balance: TraderMessage.Balance) {
        guard let link = links[id], link.info.platforms.contains(balance.platform), let amount = try? Dollars(parsing: balance.available) else { return }
        balances[balance.platform] = amount
        links[id]?.info.available = (link.info.available ?? [:]).merging([balance.platform.rawValue: amount.wireString]) { $1 }
    }

    /// A `leg_result` from trader `id`.
    func received(_ id: UUID, _ result: TraderMessage.LegResultMessage) {
        if let entry = waiting.removeValue(forKey: result.legID) {
            entry.timer?.cancel()
            links[entry.link]?.info.legsInFlight -= 1
            entry.continuation.resume(returning: .result(result))
            return
        }
        if let waiters = asking.removeValue(forKey: result.legID) {
            for waiter in waiters { waiter.resume(returning: result) }
            if !result.ambiguous { keepLate(result) }
            return
        }
        log("[REMOTE_EXEC] late leg_result for \(result.legID.escapingControlCharacters) (\(result.filled) filled); kept for reconciliation")
        keepLate(result)
    }

    private func keepLate(_ result: TraderMessage.LegResultMessage) {
        if late.updateValue(result, forKey: result.legID) == nil { lateOrder.append(result.legID) }
        while lateOrder.count > 10_000 { late[lateOrder.removeFirst()] = nil }
    }

    private func link(serving platform: Platform) -> (UUID, Link)? {
        links.first { $0.value.active && $0.value.info.platforms.contains(platform) }.map { ($0.key, $0.value) }
    }

    /// Hands `leg` to the trader serving its platform and waits up to `timeout` for its result.
    public func execute(_ leg: TraderMessage.ExecuteLeg, timeout: Duration) async -> RemoteLegAnswer {
        guard let (id, link) = link(serving: leg.platform) else { return .notSent("no \(leg.platform.rawValue) trader is connected") }
        guard waiting[leg.legID] == nil else { return .notSent("leg \(leg.legID) is already with the trader") }
        links[id]?.info.legsInFlight += 1
        return await withCheckedContinuation { continuation in
            waiting[leg.legID] = Waiting(link: id, continuation: continuation)
            waiting[leg.legID]?.timer = Task {
                do { try await link.send(.executeLeg(leg)) } catch {
                    self.giveUp(leg.legID, "the leg could not be written to the trader (\(error)); it may or may not have arrived")
                    return
                }
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                self.giveUp(leg.legID, "no leg_result within \(timeout)")
            }
        }
    }

    private func giveUp(_ legID: String, _ reason: String) {
        guard let entry = waiting.removeValue(forKey: legID) else { return }
        entry.timer?.cancel()
        links[entry.link]?.info.legsInFlight -= 1
        entry.continuation.resume(returning: .lost(reason))
    }

    /// What became of `legID` on the trader serving `platform`: a result kept from before, or the trader's
    /// answer to `leg_status`. Throws when no trader can be asked or none answers within `timeout`.
    public func status(_ legID: String, platform: Platform, timeout: Duration) async throws(TraderUnavailable) -> TraderMessage.LegResultMessage {
        if let kept = late[legID] { return kept }
        guard let (_, link) = link(serving: platform) else { throw TraderUnavailable("no \(platform.rawValue) trader is connected to ask about \(legID)") }
        let answer: TraderMessage.LegResultMessage? = await withCheckedContinuation { continuation in
            asking[legID, default: []].append(continuation)
            Task {
                do { try await link.send(.legStatus(.init(legID: legID))) } catch {}
                try? await Task.sleep(for: timeout)
                self.stopAsking(legID)
            }
        }
        guard let answer else { throw TraderUnavailable("the \(platform.rawValue) trader did not say what became of \(legID)") }
        return answer
    }

    private func stopAsking(_ legID: String) {
        for waiter in asking.removeValue(forKey: legID) ?? [] { waiter.resume(returning: nil) }
    }

    /// The cash the trader serving `platform` reported last.
    public func available(_ platform: Platform) -> Dollars? { balances[platform] }

    /// Every connected trader, by address.
    public var connected: [Connected] { links.values.filter(\.active).map(\.info).sorted { $0.address < $1.address } }

    /// The platforms some connected trader serves.
    public var platforms: Set<Platform> { Set(links.values.filter(\.active).flatMap(\.info.platforms)) }

    private func publishPaths() { paths.set(platforms) }

    private static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }
}
