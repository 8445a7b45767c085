import MVCC
import Testing

@Suite("CRC-32C")
struct CRC32CTests {
    /// One byte at a time, straight from the definition: the reference the table-driven code must match.
    private func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    @Test("the standard check value of \"123456789\"")
    func checkValue() {
        var crc = CRC32C()
        crc.update(Array("123456789".utf8))
        #expect(crc.value == 0xE306_9283)
    }

    @Test("every length and split point gives the bit-by-bit result")
    func matchesReference() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<80 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var whole = CRC32C()
            whole.update(bytes)
            #expect(whole.value == reference(bytes), "length \(length)")
            let split = length / 3
            var parts = CRC32C()
            parts.update(Array(bytes[..<split]))
            parts.update(Array(bytes[split...]))
            #expect(parts.value == whole.value, "length \(length) split at \(split)")
        }
    }
}
