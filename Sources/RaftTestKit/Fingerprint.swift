import Raft

/// Cheap 64-bit fingerprints for comparing logs and state machines without storing them.
enum Fingerprint {
    static func of(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2))
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The fingerprint of a log prefix ending with `entry`, given that of the prefix before it.
    static func chain(_ previous: UInt64, _ entry: Entry) -> UInt64 {
        mix(mix(mix(previous, entry.index), entry.term), mix(UInt64(entry.kind.rawValue), of(entry.data)))
    }

    /// Application snapshot data: the applied index and the fingerprint of everything applied.
    static func encode(index: LogIndex, chain: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        for value in [index, chain] {
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8]) -> (index: LogIndex, chain: UInt64)? {
        guard bytes.count == 16 else { return nil }
        func read(_ start: Int) -> UInt64 { bytes[start..<start + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        return (read(0), read(8))
    }
}
