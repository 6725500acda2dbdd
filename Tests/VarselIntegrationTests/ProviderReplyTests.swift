import Foundation
import Testing
import VarselGateways

/// Provider ids and explanations read out of gateway replies (docs/gateway.md: `id_field`).
@Suite("provider replies")
struct ProviderReplyTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("a string or a number at a dotted path, array elements by index")
    func paths() {
        let body = bytes(#"{"id":"SM9f\u00e6","data":{"id":12345678901234567890,"ids":["a","b"]},"n":1.50,"e":1e3,"neg":-7}"#)
        #expect(ProviderReply.string(at: "id", in: body) == "SM9fæ")
        #expect(ProviderReply.string(at: "data.id", in: body) == "12345678901234567890")
        #expect(ProviderReply.string(at: "data.ids.1", in: body) == "b")
        #expect(ProviderReply.string(at: "n", in: body) == "1.5")
        #expect(ProviderReply.string(at: "e", in: body) == "1000")
        #expect(ProviderReply.string(at: "neg", in: body) == "-7")
    }

    @Test("nothing for a missing field, an empty string, another type, an index out of range, or a body that is not JSON")
    func nothing() {
        let body = bytes(#"{"id":"","ok":true,"data":{"ids":["a"]},"list":[1],"null":null}"#)
        for path in ["missing", "id", "ok", "data", "data.ids", "data.ids.1", "data.ids.x", "list.0.x", "null", "id.x"] {
            #expect(ProviderReply.string(at: path, in: body) == nil, "\(path)")
        }
        for text in ["", "not json", #"{"id":"a""#, "[\"a\"]", "\"a\""] {
            #expect(ProviderReply.string(at: "id", in: bytes(text)) == nil, "\(text)")
        }
        #expect(ProviderReply.string(at: "0", in: bytes(#"["a"]"#)) == "a")
    }

    @Test("the explanation: the first of message, error, detail, error.message, title, errors.0.message, Message; at most 200 characters")
    func message() {
        #expect(ProviderReply.message(bytes(#"{"error":{"message":"bad number"},"title":"Bad Request"}"#)) == "bad number")
        #expect(ProviderReply.message(bytes(#"{"errors":[{"message":"first"}],"Message":"x"}"#)) == "first")
        #expect(ProviderReply.message(bytes(#"{"detail":"\#(String(repeating: "ø", count: 300))"}"#)) == String(repeating: "ø", count: 200))
        #expect(ProviderReply.message(bytes("<html>502</html>")) == nil)
    }
}
