import Testing
@testable import Config

@Suite("The .env parser")
struct DotEnvTests {
    @Test("comments, blank lines, export, quotes and escapes")
    func grammar() throws {
        let text = """
            # a comment
               # an indented comment

            PLAIN=value
            SPACED = spaced value   # inline comment
            HASH=a#b
            export EXPORTED=yes
            SINGLE='literal \\n $(whoami) "x"'
            DOUBLE="line1\\nline2\\t\\"q\\" \\\\ \\$HOME"
            EMPTY=
            EMPTY_QUOTED=""
            SHELL=$(rm -rf /)
            BACKTICK=`id`
            VAR=$HOME
            AFTER_QUOTE="v"   # comment after quotes
            """
        let values = try DotEnv.parse(text)
        #expect(values["PLAIN"] == "value")
        #expect(values["SPACED"] == "spaced value")
        #expect(values["HASH"] == "a#b")
        #expect(values["EXPORTED"] == "yes")
        #expect(values["SINGLE"] == #"literal \n $(whoami) "x""#)
        #expect(values["DOUBLE"] == "line1\nline2\t\"q\" \\ $HOME")
        #expect(values["EMPTY"] == "")
        #expect(values["EMPTY_QUOTED"] == "")
        #expect(values["SHELL"] == "$(rm -rf /)")
        #expect(values["BACKTICK"] == "`id`")
        #expect(values["VAR"] == "$HOME")
        #expect(values["AFTER_QUOTE"] == "v")
        #expect(values.count == 12)
    }

    @Test("a PEM key: escaped on one line, or pasted across lines")
    func pem() throws {
        let escaped = try DotEnv.parse(#"KEY="-----BEGIN RSA PRIVATE KEY-----\nABC\n-----END RSA PRIVATE KEY-----\n""#)
        #expect(escaped["KEY"] == "-----BEGIN RSA PRIVATE KEY-----\nABC\n-----END RSA PRIVATE KEY-----\n")
        let pasted = try DotEnv.parse("KEY=\"-----BEGIN RSA PRIVATE KEY-----\r\nABC\r\n-----END RSA PRIVATE KEY-----\"\r\nNEXT=1\r\n")
        #expect(pasted["KEY"] == "-----BEGIN RSA PRIVATE KEY-----\nABC\n-----END RSA PRIVATE KEY-----")
        #expect(pasted["NEXT"] == "1")
    }

    @Test("the later assignment wins; a byte-order mark is ignored")
    func overrides() throws {
        let values = try DotEnv.parse("\u{FEFF}A=1\nA=2\n")
        #expect(values == ["A": "2"])
    }

    @Test("errors name the line and never echo its content", arguments: [
        ("GOOD=1\nthis is not an assignment-secret\n", 2),
        ("GOOD=1\n\nKEY=\"unterminated-secret\nmore\n", 3),
        ("1BAD=secret", 1),
        ("KEY='x' trailing-secret", 1),
        ("export =secret", 1),
        ("KEY secret", 1),
    ])
    func errors(text: String, line: Int) {
        do {
            _ = try DotEnv.parse(text, source: ".env.test")
            Issue.record("accepted malformed input")
        } catch {
            #expect(error.line == line)
            #expect(error.source == ".env.test")
            #expect(!error.description.contains("secret"))
        }
    }
}
