import PeerTransport
import Testing

@Suite("Peer URLs")
struct PeerURLTests {
    @Test("scheme, host and port are parsed; defaults fill what is missing")
    func parsing() throws {
        #expect(try PeerURL(parsing: "http://127.0.0.1:2380") == PeerURL(scheme: .http, host: "127.0.0.1", port: 2380))
        #expect(
            try PeerURL(parsing: "https://member-1.keel:12380/")
                == PeerURL(scheme: .https, host: "member-1.keel", port: 12380)
        )
        #expect(try PeerURL(parsing: "HTTP://[::1]:9") == PeerURL(scheme: .http, host: "::1", port: 9))
        #expect(try PeerURL(parsing: "10.0.0.5") == PeerURL(scheme: .http, host: "10.0.0.5", port: 2380))
        #expect(try PeerURL(parsing: " http://[fe80::1] ") == PeerURL(scheme: .http, host: "fe80::1", port: 2380))
        #expect(try PeerURL(parsing: "http://[::1]:2380").description == "http://[::1]:2380")
    }

    @Test("unusable URLs throw a typed error naming the problem")
    func errors() {
        #expect(throws: PeerURLError(text: "unix:///tmp/x", reason: .unsupportedScheme("unix"))) {
            try PeerURL(parsing: "unix:///tmp/x")
        }
        #expect(throws: PeerURLError(text: "http://:2380", reason: .invalidHost)) {
            try PeerURL(parsing: "http://:2380")
        }
        #expect(throws: PeerURLError(text: "http://a:0", reason: .invalidPort("0"))) {
            try PeerURL(parsing: "http://a:0")
        }
        #expect(throws: PeerURLError(text: "http://a:70000", reason: .invalidPort("70000"))) {
            try PeerURL(parsing: "http://a:70000")
        }
        #expect(throws: PeerURLError(text: "http://a:b", reason: .invalidPort("b"))) {
            try PeerURL(parsing: "http://a:b")
        }
        #expect(throws: PeerURLError.self) { try PeerURL(parsing: "http://::1:2380") }
        #expect(throws: PeerURLError.self) { try PeerURL(parsing: "http://[::1") }
        #expect(throws: PeerURLError.self) { try PeerURL(parsing: "") }
    }
}
