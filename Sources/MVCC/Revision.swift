/// A point in the store's history: `main` is the revision of a write transaction, `sub` the position of a
/// change inside it. Ordered by main, then sub.
///
/// Stored as 16 big-endian bytes (main, then sub), so that byte order is revision order.
public struct Revision: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var main: Int64
    public var sub: Int64

    public init(main: Int64, sub: Int64 = 0) {
        self.main = main
        self.sub = sub
    }

    public static func < (lhs: Revision, rhs: Revision) -> Bool {
        (lhs.main, lhs.sub) < (rhs.main, rhs.sub)
    }

    public var description: String { "\(main).\(sub)" }

    static let encodedCount = 16

    /// The 16-byte big-endian form.
    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.encodedCount)
        out.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt64(bitPattern: main).bigEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: UInt64(bitPattern: sub).bigEndian, toByteOffset: 8, as: UInt64.self)
        }
        return out
    }

    /// Reads the 16-byte form at the start of `raw`.
    init(decoding raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.encodedCount, "revision bytes too short")
        main = Int64(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
        sub = Int64(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
    }
}
