/// The data set every benchmark uses: etcd-style fixed-size keys and values, the same shape `keel-bench load`
/// writes to a server (8-byte keys, 256-byte values).
enum BenchmarkData {
    static let keySize = 8
    static let valueSize = 256

    /// Key number `index` as zero-padded decimal digits: keys sort in index order.
    static func key(_ index: Int) -> [UInt8] {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: keySize)
        var rest = index
        var position = keySize - 1
        while rest > 0 && position >= 0 {
            digits[position] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            position -= 1
        }
        return digits
    }

    /// A value that differs from key to key, so pages hold realistic, non-repeating data.
    static func value(_ index: Int) -> [UInt8] {
        var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<valueSize).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(ascii: "a") + UInt8(state % 26)
        }
    }
}
