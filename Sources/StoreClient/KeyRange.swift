/// Which keys a request covers, in etcd's terms of a key and a range end.
public enum KeyRange: Sendable, Hashable {
    /// Exactly one key.
    case key([UInt8])
    /// Every key that starts with the bytes given; an empty prefix covers the whole key space.
    case prefix([UInt8])
    /// The key given and every key after it.
    case fromKey([UInt8])
    /// The keys in `[start, end)`.
    case interval([UInt8], end: [UInt8])
    /// The whole key space.
    case all

    /// The wire form: `key` and `range_end`, where an empty end means one key and `[0]` means "to the end".
    public var bounds: (key: [UInt8], rangeEnd: [UInt8]) {
        switch self {
        case .key(let key): return (key, [])
        case .prefix(let prefix): return prefix.isEmpty ? ([0], [0]) : (prefix, Self.prefixEnd(prefix))
        case .fromKey(let key): return (key.isEmpty ? [0] : key, [0])
        case .interval(let start, let end): return (start, end)
        case .all: return ([0], [0])
        }
    }

    /// The first key after every key with the prefix: the prefix with its last byte below 0xff incremented
    /// and what follows dropped; a prefix of only 0xff bytes has no such key, so it reaches the end.
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }
}
