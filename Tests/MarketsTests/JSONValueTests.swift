import Foundation
import Markets
import Testing

@Suite("JSONValue: the hot-path JSON reader")
struct JSONValueTests {
    @Test("values, nesting, escapes and surrogate pairs")
    func values() throws {
        let value = try JSONValue.parse(#" {"a":[1,-0.5e+3,true,false,null,"x"],"b":{"c":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"},"a2":{}} "#)
        #expect(value["a"] == .array([.number("1"), .number("-0.5e+3"), .bool(true), .bool(false), .null, .string("x")]))
        #expect(value["b"]?["c"] == .string("\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(value["a2"] == .object([:]))
        #expect(try JSONValue.parse(#"{"k":1,"k":2}"#)["k"] == .number("2"), "a repeated name keeps its last value")
        #expect(try JSONValue.parse("\"plain é\"") == .string("plain é"))
        #expect(try JSONValue.parse("[]") == .array([]))
        #expect(try JSONValue.parse(#"{"a":[1,],}"#) == .object(["a": .array([.number("1")])]), "one trailing comma, as Foundation reads it")
    }

    @Test("whole numbers read exactly; others are not integers")
    func integers() throws {
        #expect(try JSONValue.parse("922337203685477580").exactInteger == 922_337_203_685_477_580)
        #expect(try JSONValue.parse("-9223372036854775808").exactInteger == Int.min)
        #expect(try JSONValue.parse("5.0").exactInteger == 5)
        #expect(try JSONValue.parse("5e2").exactInteger == 500)
        #expect(try JSONValue.parse("0.5").exactInteger == nil)
        #expect(try JSONValue.parse("18446744073709551616").exactInteger == nil)
        #expect(try JSONValue.parse("1e400").exactInteger == nil)
        #expect(try JSONValue.parse("\"12\"").exactInteger == nil)
    }

    @Test("malformed documents are refused with the byte offset", arguments: [
        "", " ", "{", "}", "[,]", "{,}", "[1,,]", "{\"a\":1,,}", "{\"a\" 1}", "{a:1}", "01", "-", "1.", "1e", "+1", ".5", "tru", "nul", "\"abc",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\u{1}b\"", "[1] 2", "{\"a\":1}}", "NaN", "Infinity",
    ])
    func malformed(text: String) {
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(text) }
    }

    @Test("nesting deeper than the limit is refused, not a stack overflow")
    func depth() throws {
        let ok = String(repeating: "[", count: JSONValue.maxDepth) + String(repeating: "]", count: JSONValue.maxDepth)
        #expect(throws: Never.self) { try JSONValue.parse(ok) }
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(deep) }
    }

    @Test("accepts exactly what Foundation's JSONSerialization accepts, over 20,000 seeded mutations of a signal line")
    func differential() {
        var random = SplitMix64(seed: 20_261_204)
        let template = Array(#"{"signal_id":"s-1","should_trade":true,"action":"BUY_YES","kalshi":{"ticker":"KX-A","yes_ask":50,"no_ask":52},"edge":{"cents":3},"position":{"contracts":2},"tags":["a\u00e9",1.5e3,null,false]}"#.utf8)
        let alphabet = Array("{}[]\":,.-+0123456789eE \\/\tabfnrtuxyz".utf8)
        var disagreements: [String] = []
        for _ in 0..<20_000 {
            var bytes = template
            switch random.next() % 3 {
            case 0:
                for _ in 0..<(1 + Int(random.next() % 3)) {
                    let at = Int(random.next() % UInt64(bytes.count))
                    if random.next() % 2 == 0 { bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))] } else {
                        bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: at)
                    }
                }
            case 1:
                bytes.remove(at: Int(random.next() % UInt64(bytes.count)))
            default:
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let ours = (try? JSONValue.parse(text)) != nil
            let foundation = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
            if ours != foundation { disagreements.append("\(ours ? "accepted" : "refused") by JSONValue only: \(text)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count): \(disagreements.prefix(5))")
    }
}

@Suite("Trimming a signal line without Foundation")
struct TextScanTests {
    @Test("trimmingSpaces trims what trimmingCharacters(in: .whitespaces) trims", arguments: [
        "", " ", "\t a b \t", "\u{00A0}x\u{3000}", "x", " x", "x ", "\n x \n", "é ", " 😀", "\u{2028}y",
    ])
    func trimming(text: String) {
        #expect(text.trimmingSpaces == text.trimmingCharacters(in: .whitespaces))
    }
}
