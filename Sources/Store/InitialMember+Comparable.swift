extension InitialMember {
    /// The form in which two spellings of one peer address compare equal. etcd resolves host names before it
    /// compares; the only name a loopback cluster uses is `localhost`, taken here as 127.0.0.1.
    public static func comparable(peerURL url: String) -> String {
        var text = url.lowercased()
        if let schemeEnd = text.range(of: "://") {
            let rest = text[schemeEnd.upperBound...]
            if rest.hasPrefix("localhost:") {
                text = text[..<schemeEnd.upperBound] + "127.0.0.1" + rest.dropFirst("localhost".count)
            }
        }
        return text
    }
}
