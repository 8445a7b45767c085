import Foundation

/// The data set a workload writes: `count` keys of exactly `keySize` bytes (zero-padded decimal numbers,
/// so byte order is number order) with values of `valueSize` bytes. Key `i` and its value are the same in
/// every run, so the same data set can be loaded into several servers.
struct KeySpace: Sendable {
    let count: Int
    let keySize: Int
    let valueSize: Int

    init(count: Int, keySize: Int, valueSize: Int) throws {
        guard count > 0 else { throw BenchError("--keys must be positive") }
        guard keySize > 0 else { throw BenchError("--key-size must be positive") }
        guard valueSize >= 0 else { throw BenchError("--value-size must not be negative") }
        guard String(count - 1).utf8.count <= keySize else {
            throw BenchError("\(count) keys do not fit in \(keySize)-byte decimal keys")
        }
        self.count = count
        self.keySize = keySize
        self.valueSize = valueSize
    }

    func key(_ index: Int) -> Data {
        let digits = Array(String(index).utf8)
        return Data(repeating: UInt8(ascii: "0"), count: keySize - digits.count) + Data(digits)
    }

    /// Printable bytes that differ from key to key (no server here compresses, but neither gets an easy case).
    func value(_ index: Int) -> Data {
        var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = Data(count: valueSize)
        for position in 0..<valueSize {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[position] = UInt8(ascii: "a") + UInt8(state % 26)
        }
        return bytes
    }
}

extension KeySpace {
    /// Every key, in order, made once so that requests do not build them on the hot path.
    var allKeys: [Data] { (0..<count).map(key) }
}
