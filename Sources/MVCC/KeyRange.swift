/// A set of keys given etcd's way, as a key and a range end:
/// - `rangeEnd` empty: the single key `key`;
/// - `rangeEnd == [0]`: every key >= `key` (with `key == [0]` too: every key);
/// - otherwise: the keys in [`key`, `rangeEnd`), empty when `rangeEnd <= key`.
public struct KeyRange: Equatable, Sendable {
    public var key: [UInt8]
    public var rangeEnd: [UInt8]

    public init(key: [UInt8], rangeEnd: [UInt8] = []) {
        self.key = key
        self.rangeEnd = rangeEnd
    }

    /// Every key that starts with `prefix` (etcd's `--prefix`).
    public static func prefix(_ prefix: [UInt8]) -> KeyRange {
        KeyRange(key: prefix, rangeEnd: prefixEnd(prefix))
    }

    /// Every key.
    public static let all = KeyRange(key: [0], rangeEnd: [0])

    /// The smallest key greater than every key starting with `prefix`; `[0]` (no upper bound) when there is
    /// none, as etcd's clients compute it.
    public static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
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

    public var isSingleKey: Bool { rangeEnd.isEmpty }
    public var isUnbounded: Bool { rangeEnd == [0] }

    public func contains(_ k: [UInt8]) -> Bool {
        k.withUnsafeBytes { contains($0) }
    }

    func contains(_ k: UnsafeRawBufferPointer) -> Bool {
        if isSingleKey { return compareBytes(k, key) == 0 }
        if compareBytes(k, key) < 0 { return false }
        return isUnbounded || compareBytes(k, rangeEnd) < 0
    }

    /// Whether no key after `k` (in byte order) can be in the range.
    func isPastEnd(_ k: UnsafeRawBufferPointer) -> Bool {
        if isSingleKey { return compareBytes(k, key) > 0 }
        return !isUnbounded && compareBytes(k, rangeEnd) >= 0
    }

    /// Whether the two ranges share a key (used to find writes to the same key inside one txn).
    func overlaps(_ other: KeyRange) -> Bool {
        let (aLow, aHigh) = bounds
        let (bLow, bHigh) = other.bounds
        // Half-open intervals [low, high); nil high means unbounded.
        let aStartsBeforeBEnds = bHigh.map { compareBytes(aLow, $0) < 0 } ?? true
        let bStartsBeforeAEnds = aHigh.map { compareBytes(bLow, $0) < 0 } ?? true
        return aStartsBeforeBEnds && bStartsBeforeAEnds
    }

    /// The range as a half-open interval [low, high) of byte strings; `nil` high for no bound.
    private var bounds: ([UInt8], [UInt8]?) {
        if isSingleKey { return (key, key + [0]) }
        if isUnbounded { return (key, nil) }
        return (key, rangeEnd)
    }
}
