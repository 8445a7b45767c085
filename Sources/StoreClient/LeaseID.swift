/// A lease's identifier, as the store assigned it (never 0: 0 means "no lease" on the wire).
public struct LeaseID: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    /// `nil` for 0, the wire's "no lease".
    public init?(_ rawValue: Int64) {
        guard rawValue != 0 else { return nil }
        self.rawValue = rawValue
    }

    /// Hexadecimal, as etcdctl prints lease identifiers.
    public var description: String { String(UInt64(bitPattern: rawValue), radix: 16) }
}
