import ArgumentParser
import Foundation
import Markets
import PolymarketWire

/// `run-executor poly …`: Polymarket tools.
struct Poly: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Polymarket CLOB V2 tools (offline).",
        subcommands: [SignOrder.self]
    )
}

/// `run-executor poly sign-order …`: builds, checks and signs one CLOB V2 order and prints its `POST /order`
/// body, for cross-checking against the official SDK. Nothing is sent.
struct SignOrder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-order",
        abstract: "Sign one Polymarket CLOB V2 order and print its POST /order body as one JSON line (nothing is sent).",
        discussion: """
            The amounts are the official client's (create_order: the price rounded to the tick's decimals, the size \
            floored to 2 decimals), computed in integers. An order the venue would refuse (a price off the tick grid, \
            FAK/FOK amounts beyond 2 decimals of collateral or 4 of shares, a size below --min-size) is refused before \
            it is signed, with the venue's reason (exit 2). FILE holds the private key as hex on one line; it is never \
            printed. Without --salt/--timestamp a salt below 2^53 is drawn and the current time in milliseconds is used.
            """
    )

    enum SideOption: String, ExpressibleByArgument, CaseIterable { case buy, sell }

    @Option(name: .customLong("private-key-file"), help: ArgumentHelp("File holding the signer's private key (hex, one line).", valueName: "file"))
    var privateKeyFile: String
    @Option(name: .customLong("token-id"), help: ArgumentHelp("The outcome token (decimal uint256).", valueName: "id"))
    var tokenID: String
    @Option(help: "buy or sell.") var side: SideOption
    @Option(help: ArgumentHelp("Limit price in dollars, e.g. 0.56.", valueName: "p")) var price: String
    @Option(help: ArgumentHelp("Shares, e.g. 21.04 (floored to 2 decimals).", valueName: "s")) var size: String
    @Option(name: .customLong("tick-size"), help: ArgumentHelp("The market's tick: 0.1, 0.01, 0.005, 0.0025, 0.001 or 0.0001.", valueName: "t"))
    var tickSize: String
    @Flag(name: .customLong("neg-risk"), help: "The token's market is neg-risk (signed for the Neg Risk CTF Exchange).") var negRisk = false
    @Option(name: .customLong("order-type"), help: ArgumentHelp("FAK, FOK, GTC (default) or GTD.", valueName: "type")) var orderType: String = "GTC"
    @Option(name: .customLong("api-key"), help: ArgumentHelp("The L2 API key (UUID) that owns the order (default the zero UUID).", valueName: "uuid"))
    var apiKey: String = "00000000-0000-0000-0000-000000000000"
    @Option(help: ArgumentHelp("Salt (decimal; default random below 2^53).", valueName: "n")) var salt: String?
    @Option(help: ArgumentHelp("Order timestamp in Unix milliseconds (default now).", valueName: "ms")) var timestamp: UInt64?
    @Option(name: .customLong("signature-type"), help: ArgumentHelp("0 EOA (default), 1 Polymarket proxy, 2 Gnosis Safe.", valueName: "n"))
    var signatureType: UInt8 = 0
    @Option(help: ArgumentHelp("The address holding the funds (POLY_FUNDER; required for signature types 1 and 2).", valueName: "address"))
    var funder: String?
    @Option(name: .customLong("chain-id"), help: ArgumentHelp("137 (Polygon, default) or 80002 (Amoy).", valueName: "id")) var chainID: UInt64 = 137
    @Option(help: ArgumentHelp("GTD only: Unix seconds at which the order expires.", valueName: "seconds")) var expiration: UInt64 = 0
    @Option(name: .customLong("min-size"), help: ArgumentHelp("The market's minimum order size in shares (refuse below it).", valueName: "s"))
    var minimumSize: String?

    /// Everything but the key, parsed; each problem names its flag.
    private func parsed() throws -> (token: UInt256, side: PolySide, price: Dollars, size: Dollars, tick: PolyTickSize, type: PolyOrderType,
                                     signatureType: PolySignatureType, funder: EthereumAddress?, chain: PolymarketChain, salt: UInt256?, minimum: Dollars?) {
        guard let token = UInt256(decimal: tokenID) else { throw ValidationError("--token-id: \"\(tokenID.prefix(80))\" is not a decimal uint256") }
        guard let price = try? Dollars(parsing: price), price.micros > 0, price.micros < Dollars.scale else {
            throw ValidationError("--price: \"\(price)\" is not a price strictly between 0 and 1")
        }
        guard let size = try? Dollars(parsing: size), size.micros > 0 else { throw ValidationError("--size: \"\(size)\" is not a positive number of shares") }
        guard let tick = PolyTickSize(parsing: tickSize) else {
            throw ValidationError("--tick-size: \"\(tickSize)\" is not one of \(PolyTickSize.all.map(\.description).joined(separator: ", "))")
        }
        guard let type = PolyOrderType(rawValue: orderType.uppercased()) else { throw ValidationError("--order-type: \"\(orderType)\" is not FAK, FOK, GTC or GTD") }
        guard Self.isUUID(apiKey) else { throw ValidationError("--api-key: \"\(apiKey.prefix(64))\" is not a UUID") }
        guard let signature = PolySignatureType(rawValue: signatureType) else { throw ValidationError("--signature-type: \(signatureType) is not 0, 1 or 2") }
        var funderAddress: EthereumAddress?
        if let funder {
            guard let address = EthereumAddress(hex: funder) else { throw ValidationError("--funder: \"\(funder.prefix(64))\" is not an address (0x + 40 hex digits, EIP-55)") }
            funderAddress = address
        }
        guard let chain = PolymarketChain(rawValue: chainID) else { throw ValidationError("--chain-id: \(chainID) is not 137 or 80002") }
        var saltValue: UInt256?
        if let salt {
            guard let value = UInt256(decimal: salt) else { throw ValidationError("--salt: \"\(salt.prefix(80))\" is not a decimal uint256") }
            saltValue = value
        }
        var minimum: Dollars?
        if let minimumSize {
            guard let value = try? Dollars(parsing: minimumSize), value.micros >= 0 else { throw ValidationError("--min-size: \"\(minimumSize)\" is not a number of shares") }
            minimum = value
        }
        return (token, side == .buy ? .buy : .sell, price, size, tick, type, signature, funderAddress, chain, saltValue, minimum)
    }

    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    func validate() throws { _ = try parsed() }

    func run() async throws {
        let input = try parsed()
        let keyText: String
        do { keyText = try String(contentsOfFile: privateKeyFile, encoding: .utf8) } catch {
            printError("--private-key-file \(privateKeyFile): cannot be read")
            throw ExitStatus.configuration.exitCode
        }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: privateKeyFile))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            printError("warning: \(privateKeyFile) is readable by other users (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        do {
            let signer = try EthereumSigner(privateKeyHex: keyText.split(separator: "\n").first.map(String.init) ?? "")
            let builder = try PolyOrderBuilder(signer: signer, signatureType: input.signatureType, funder: input.funder, chain: input.chain)
            let now = UInt64(Date().timeIntervalSince1970 * 1_000)
            let signed = try builder.order(PolyOrderBuilder.Market(tokenID: input.token, tick: input.tick, negRisk: negRisk, minimumSize: input.minimum),
                                           side: input.side, price: input.price, size: input.size, type: input.type, salt: input.salt,
                                           timestamp: timestamp, expiration: expiration, nowMilliseconds: now)
            print(signed.postBody(owner: apiKey, orderType: input.type))
        } catch let error as PolymarketKeyError {
            printError("--private-key-file \(privateKeyFile): \(error)")
            throw ExitStatus.configuration.exitCode
        } catch let refusal as PolyOrderRefusal {
            printError("refused (the venue would reject it): \(refusal)")
            throw ExitStatus.configuration.exitCode
        }
    }
}
