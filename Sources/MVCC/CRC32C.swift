/// CRC-32 with the Castagnoli polynomial (as etcd's hashes and Keel's write-ahead log), eight bytes per step
/// ("slicing by 8": eight tables of 256 entries, each the previous one advanced by a zero byte).
public struct CRC32C: Sendable {
    /// Table `k` (entries `256 k ..< 256 (k + 1)`) gives the CRC of a byte followed by `k` zero bytes.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 {
                crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            tables[index] = crc
        }
        for table in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(table - 1) * 256 + index]
                tables[table * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xff)]
            }
        }
        return tables
    }()

    private var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        Self.tables.withUnsafeBufferPointer { tables in
            var crc = state
            var offset = 0
            let count = bytes.count
            while count - offset >= 8 {
                let low = crc ^ UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let high = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc =
                    tables[7 * 256 + Int(low & 0xff)] ^ tables[6 * 256 + Int((low >> 8) & 0xff)]
                    ^ tables[5 * 256 + Int((low >> 16) & 0xff)] ^ tables[4 * 256 + Int(low >> 24)]
                    ^ tables[3 * 256 + Int(high & 0xff)] ^ tables[2 * 256 + Int((high >> 8) & 0xff)]
                    ^ tables[256 + Int((high >> 16) & 0xff)] ^ tables[Int(high >> 24)]
                offset += 8
            }
            while offset < count {
                crc = tables[Int((crc ^ UInt32(bytes[offset])) & 0xff)] ^ (crc >> 8)
                offset += 1
            }
            state = crc
        }
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public var value: UInt32 { state ^ 0xFFFF_FFFF }
}
