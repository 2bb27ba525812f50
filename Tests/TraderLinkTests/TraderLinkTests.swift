import Foundation
import Markets
import Testing
import TraderLink

@Suite("Trader link: messages, mutual handshake, leg routing")
struct TraderLinkTests {
    static let secret = Array("correct horse battery staple 42".utf8)

    static func object(_ frame: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any])
    }

    @Test("the seeds' messages keep their field names on the wire, prices and counts as exact decimal strings")
    func wireNames() throws {
        let leg = TraderMessage.ExecuteLeg(marketID: "KXNBA-26JAN11-LAL", legID: "a-1-k", platform: .kalshi, action: .buy, side: .no,
                                           price: try Price(parsing: "0.52"), contracts: try Contracts(parsing: "10"), instrument: "KXNBA-26JAN11-LAL",
                                           pairID: "nba-lal-bos", description: "Lakers vs Celtics ML")
        let frame = TraderMessage.executeLeg(leg).frame
        let json = try Self.object(frame)
        #expect(Set(json.keys) == ["type", "market_id", "leg_id", "platform", "action", "side", "price", "contracts", "ticker", "pair_id", "description"])
        #expect(json["type"] as? String == "execute_leg" && json["price"] as? String == "0.52" && json["contracts"] as? String == "10.00")
        #expect(try TraderMessage(frame: frame) == .executeLeg(leg), "round trip")
        let result = TraderMessage.legResult(.init(legID: "a-1-k", platform: .kalshi, success: true, filled: try Contracts(parsing: "10"),
                                                   avgPrice: try Dollars(parsing: "0.51"), orderID: "ord-1", error: nil, ambiguous: false, fees: .zero))
        let resultJSON = try Self.object(result.frame)
        for key in ["type", "leg_id", "platform", "success", "filled", "avg_price", "order_id"] { #expect(resultJSON[key] != nil, "\(key)") }
        #expect(try TraderMessage(frame: result.frame) == result)
        let initial = TraderMessage.initialize(.init(platforms: [.kalshi], dryRun: true))
        #expect(try Self.object(initial.frame)["dry_run"] as? Bool == true && initial.frame.hasPrefix("{\"type\":\"init\""))
    }

    @Test("the seeds' leg_result (numbers, no added fields) is read exactly; the added fields default safely")
    func seedShapes() throws {
        let seed = #"{"type":"leg_result","leg_id":"l-9","platform":"polymarket","success":true,"filled":7.5,"avg_price":0.45,"order_id":"0xabc","error":null}"#
        guard case let .legResult(result) = try TraderMessage(frame: seed) else { Issue.record("not a leg_result"); return }
        #expect(result.filled == "7.5" && result.avgPrice == "0.45" && result.ambiguous == false && result.known == true)
        #expect(result.refused == false && result.fills == nil)
        let leg = #"{"type":"execute_leg","market_id":"m","leg_id":"l","platform":"polymarket","action":"buy","side":"yes","price":0.45,"contracts":10,"token":"7132","pair_id":"p","description":"d"}"#
        guard case let .executeLeg(parsed) = try TraderMessage(frame: leg) else { Issue.record("not an execute_leg"); return }
        let price = try Price(parsing: "0.45"), count = try Contracts(parsing: "10")
        #expect(parsed.limit == price && parsed.count == count && parsed.instrument == "7132")
    }

    @Test("the added messages round-trip: balance, shutdown, leg_result with its fills and refused; a balance that is not an amount is refused")
    func addedMessages() throws {
        let balance = TraderMessage.balance(.init(platform: .kalshi, available: Dollars(micros: 1_234_560_000)))
        #expect(balance.frame == #"{"type":"balance","available":"1234.56","platform":"kalshi"}"#)
        #expect(try TraderMessage(frame: balance.frame) == balance)
        guard case let .balance(number) = try TraderMessage(frame: #"{"type":"balance","platform":"kalshi","available":12.5}"#) else { Issue.record("not a balance"); return }
        #expect(try Dollars(parsing: number.available) == Dollars(micros: 12_500_000), "a JSON number is read exactly")
        #expect(throws: TraderFrameError.self) { try TraderMessage(frame: #"{"type":"balance","platform":"kalshi","available":"lots"}"#) }
        let bye = TraderMessage.shutdown(.init(reason: "stopping", cancelled: 3))
        #expect(try TraderMessage(frame: bye.frame) == bye)
        let fill = TraderMessage.LegResultMessage.Fill(fillID: "f-1", count: try Contracts(parsing: "4"), price: try Price(parsing: "0.41"), fee: try Dollars(parsing: "0.07"),
                                                       role: "taker", ts: 1_700_000_000_000_000_000)
        let result = TraderMessage.legResult(.init(legID: "l-1", platform: .kalshi, success: false, filled: .zero, avgPrice: nil, orderID: nil, error: "denied",
                                                   ambiguous: false, fees: .zero, refused: true, fills: [fill]))
        let object = try Self.object(result.frame)
        #expect(object["refused"] as? Bool == true && (object["fills"] as? [[String: Any]])?.first?["fill_id"] as? String == "f-1")
        #expect(try TraderMessage(frame: result.frame) == result)
    }

    @Test("malformed frames are errors naming what is wrong, never a crash", arguments: [
        ("not json", "not a JSON object"),
        (#"{"type":"teleport"}"#, "unknown type"),
        (#"{"type":"execute_leg","leg_id":"l","platform":"kalshi","action":"buy","side":"yes","price":"1.5","contracts":"1","ticker":"X"}"#, "price \"1.5\""),
        (#"{"type":"execute_leg","leg_id":"l","platform":"kalshi","action":"buy","side":"yes","price":"0.5","contracts":"0","ticker":"X"}"#, "contracts \"0\""),
        (#"{"type":"execute_leg","leg_id":"l","platform":"kalshi","action":"buy","side":"yes","price":"0.5","contracts":"1","token":"X"}"#, "ticker is required"),
        (#"{"type":"execute_leg","platform":"kalshi","action":"buy","side":"yes","price":"0.5","contracts":"1","ticker":"X"}"#, "missing leg_id"),
        (#"{"type":"ping","ts":"soon"}"#, "ping: ts has the wrong type"),
    ] as [(String, String)])
    func malformed(frame: String, phrase: String) {
        #expect(throws: TraderFrameError.self) { try TraderMessage(frame: frame) }
        do { _ = try TraderMessage(frame: frame) } catch { #expect(error.description.contains(phrase), "\(error.description)") }
        let huge = "{\"type\":\"error\",\"message\":\"" + String(repeating: "x", count: TraderMessage.maxFrameBytes) + "\"}"
        #expect(throws: TraderFrameError.self) { try TraderMessage(frame: huge) }
    }

    /// Runs both sides of the handshake against each other; what each side ended with.
    static func handshake(controllerSecret: [UInt8], traderSecret: [UInt8], platforms: [Platform] = [.kalshi],
                          routed: [Platform] = [.kalshi]) -> (controller: HandshakeStep, trader: HandshakeStep) {
        var controller = ControllerHandshake(secret: controllerSecret)
        var trader = TraderSideHandshake(secret: traderSecret, platforms: platforms)
        let challenge = controller.receive(trader.opening)
        guard case let .send(challengeMessage) = challenge else { return (challenge, .refuse("no challenge")) }
        let auth = trader.receive(challengeMessage)
        guard case let .send(authMessage) = auth else { return (.refuse("no auth"), auth) }
        let verdict = controller.receive(authMessage)
        guard case .authenticated = verdict else { return (verdict, auth) }
        return (verdict, trader.receive(.initialize(.init(platforms: routed, dryRun: true))))
    }

    @Test("TS-40 the handshake: the same secret authenticates both sides; a wrong secret is refused on both sides and the secret never crosses the wire")
    func handshake() {
        let ok = Self.handshake(controllerSecret: Self.secret, traderSecret: Self.secret)
        #expect(ok.controller == .authenticated([.kalshi], dryRun: false))
        #expect(ok.trader == .authenticated([.kalshi], dryRun: true), "dry_run reaches the trader")
        let wrong = Array("not the secret at all, but long".utf8)
        let refused = Self.handshake(controllerSecret: Self.secret, traderSecret: wrong)
        // The trader checks the controller's proof first: a controller without the secret never gets an auth.
        guard case let .refuse(reason) = refused.trader else { Issue.record("trader accepted a controller without the secret"); return }
        #expect(reason.contains("does not hold the secret"))
        // A trader that answers anyway with a proof made from another secret is refused by the controller.
        var controller = ControllerHandshake(secret: Self.secret)
        let impostor = TraderSideHandshake(secret: wrong, platforms: [.kalshi])
        guard case let .send(.challenge(challenge)) = controller.receive(impostor.opening) else { Issue.record("no challenge"); return }
        let forged = TraderHandshake.traderProof(secret: wrong, hello: impostor.hello, controllerNonce: challenge.nonce)
        guard case let .refuse(why) = controller.receive(.auth(.init(proof: forged))) else { Issue.record("forged proof accepted"); return }
        #expect(why.contains("wrong secret"))
        let secretHex = Self.secret.map { String(format: "%02x", $0) }.joined(), secretText = String(decoding: Self.secret, as: UTF8.self)
        for frame in [impostor.opening.frame, TraderMessage.challenge(challenge).frame] {
            #expect(!frame.contains(secretText) && !frame.contains(secretHex))
        }
    }

    @Test("a proof recorded on one connection is worthless on the next (fresh nonces); anything before the handshake is refused")
    func replayAndOrder() {
        var first = ControllerHandshake(secret: Self.secret)
        var trader = TraderSideHandshake(secret: Self.secret, platforms: [.polymarket])
        guard case let .send(challenge) = first.receive(trader.opening), case let .send(auth) = trader.receive(challenge) else {
            Issue.record("handshake did not start")
            return
        }
        var second = ControllerHandshake(secret: Self.secret)
        _ = second.receive(trader.opening)  // same hello replayed; the controller's nonce is new
        guard case .refuse = second.receive(auth) else { Issue.record("a replayed proof authenticated"); return }
        var early = ControllerHandshake(secret: Self.secret)
        let leg = TraderMessage.legStatus(.init(legID: "x"))
        #expect(early.receive(leg) == .refuse("leg_status before the handshake completed"))
        var outdated = ControllerHandshake(secret: Self.secret)
        #expect(outdated.receive(.hello(.init(platforms: [.kalshi], nonce: TraderHandshake.nonce(), version: 99)))
            == .refuse("protocol version 99; this controller speaks 1"))
    }

    @Test("a trader refuses a controller that would route it a platform it does not trade")
    func refusesForeignPlatforms() {
        let result = Self.handshake(controllerSecret: Self.secret, traderSecret: Self.secret, platforms: [.kalshi], routed: [.kalshi, .polymarket])
        guard case let .refuse(reason) = result.trader else { Issue.record("accepted polymarket legs"); return }
        #expect(reason.contains("polymarket"))
    }

    @Test("TS-41 routing: remote-first and local-first choose as documented; a leg with neither path aborts the whole arb, naming it", arguments: [
        (LegRouting.remoteFirst, Set<Platform>([.kalshi]), Set<Platform>([.kalshi, .polymarket]), [LegRoute.remote(.kalshi), .local]),
        (.localFirst, [.kalshi], [.kalshi, .polymarket], [.local, .local]),
        (.localFirst, [.kalshi], [.polymarket], [.remote(.kalshi), .local]),
        (.remoteFirst, [.kalshi, .polymarket], [], [.remote(.kalshi), .remote(.polymarket)]),
    ] as [(LegRouting, Set<Platform>, Set<Platform>, [LegRoute])])
    func routing(rule: LegRouting, connected: Set<Platform>, local: Set<Platform>, expected: [LegRoute]) {
        #expect([Platform.kalshi, .polymarket].map { LegRoutes.route($0, connected: connected, local: local, rule: rule) } == expected)
    }

    @Test("TS-41 no trader connected and not authorised: no route, and the reason names the platform")
    func noRoute() {
        #expect(LegRoutes.route(.kalshi, connected: [], local: [.polymarket], rule: .remoteFirst) == nil)
        #expect(LegRoutes.route(.polymarket, connected: [], local: [.polymarket], rule: .remoteFirst) == .local)
        let venue = RoutedVenue(platform: .kalshi, local: nil, traders: TraderRegistry(), rule: .remoteFirst, log: { _ in })
        #expect(venue.route == nil)
        #expect(venue.noPathReason.contains("no kalshi trader is connected and CONTROLLER_PLATFORMS does not authorise kalshi"))
    }
}
