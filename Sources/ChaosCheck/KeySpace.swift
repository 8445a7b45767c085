/// Key order and key ranges as etcd defines them: keys compare as byte strings, and a range `[start, end)`
/// has two special ends (empty: the single key `start`; "\0": every key from `start` on).
public enum KeySpace {
    /// Byte-wise order of UTF-8 keys, which is the store's order (Swift's `String` order is not).
    public static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Whether `key` falls in the range etcd's `Range(start, end)` reads.
    public static func range(start: String, end: String, contains key: String) -> Bool {
        if end.isEmpty { return key == start }
        if precedes(key, start) { return false }
        if end == "\0" { return true }
        return precedes(key, end)
    }

    /// Whether `key` starts with `prefix`, byte-wise.
    public static func key(_ key: String, hasPrefix prefix: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }
}
