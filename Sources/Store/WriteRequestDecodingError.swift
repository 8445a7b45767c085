/// Why bytes could not be decoded as a `WriteRequest` (see `WriteRequest.init(encoded:)`).
///
/// Guarantees: every malformed input — truncated, from a newer format version, or garbage — is reported as
/// this error, never as a trap; `field` and `offset` say where decoding stopped, so a bad log entry can be
/// located and explained.
public struct WriteRequestDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong with the bytes.
    public enum Reason: Equatable, Sendable {
        /// The input ended inside a value.
        case truncated
        /// The leading format version is not one this build reads.
        case unsupportedVersion(UInt8)
        /// A varint of more than ten bytes, or one above `UInt64.max`.
        case malformedVarint
        /// A case or enumeration tag this format version does not define.
        case unknownTag(UInt8)
        /// Flag bits this format version does not define.
        case unknownFlags(UInt8)
        /// A length or element count larger than the bytes that remain.
        case lengthOutOfBounds(UInt64)
        /// Txns nested deeper than `WriteRequest.maxTxnNestingDepth`.
        case nestingTooDeep
        /// Bytes remaining after a complete request.
        case trailingBytes(Int)
    }

    public var reason: Reason
    /// The value being read when decoding failed, as a path such as `txn.success.put.key`.
    public var field: String
    /// Byte offset in the input at which the failing value starts.
    public var offset: Int

    public init(reason: Reason, field: String, offset: Int) {
        self.reason = reason
        self.field = field
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .truncated: what = "input ends inside the value"
        case .unsupportedVersion(let version): what = "unsupported format version \(version)"
        case .malformedVarint: what = "malformed varint"
        case .unknownTag(let tag): what = "unknown tag \(tag)"
        case .unknownFlags(let flags): what = "unknown flag bits in 0x\(String(flags, radix: 16))"
        case .lengthOutOfBounds(let length): what = "length \(length) exceeds the remaining input"
        case .nestingTooDeep: what = "txns nested deeper than \(WriteRequest.maxTxnNestingDepth) levels"
        case .trailingBytes(let count): what = "\(count) bytes after the end of the request"
        }
        return "cannot decode write request: \(what) (\(field), at byte \(offset))"
    }
}
