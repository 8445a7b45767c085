/// Appends big-endian integers and length-prefixed byte strings: the encoding of the small records the
/// member keeps beside the key space (membership, proposal envelopes).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ data: [UInt8]) {
        write(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func writeRaw(_ data: [UInt8]) { bytes.append(contentsOf: data) }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked.
struct ByteReader {
    struct Failure: Error, CustomStringConvertible {
        var offset: Int
        var needed: Int
        var description: String { "truncated record: \(needed) more bytes needed at offset \(offset)" }
    }

    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func readUInt8() throws(Failure) -> UInt8 {
        guard remaining >= 1 else { throw Failure(offset: offset, needed: 1) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt64() throws(Failure) -> UInt64 {
        guard remaining >= 8 else { throw Failure(offset: offset, needed: 8) }
        var value: UInt64 = 0
        for byte in bytes[offset..<offset + 8] { value = value << 8 | UInt64(byte) }
        offset += 8
        return value
    }

    mutating func readBytes() throws(Failure) -> [UInt8] {
        let count = try readUInt64()
        guard count <= UInt64(remaining) else { throw Failure(offset: offset, needed: Int(clamping: count)) }
        defer { offset += Int(count) }
        return Array(bytes[offset..<offset + Int(count)])
    }

    mutating func readRest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
