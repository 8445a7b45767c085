/// Identifies a member of a Raft group. Zero is never a valid identifier.
public typealias NodeID = UInt64

/// A Raft term: a logical clock that grows by one with every election.
public typealias Term = UInt64

/// The position of an entry in the replicated log; the first entry has index 1.
public typealias LogIndex = UInt64

/// One record of the replicated log. Entries with the same index and term are identical on every member
/// (the Log Matching property), and so are all entries before them.
public struct Entry: Hashable, Sendable {
    /// What the payload holds.
    public enum Kind: UInt8, Hashable, Sendable {
        /// Application data; an empty payload is the no-op a new leader appends.
        case normal = 0
        /// An encoded `ConfigChange`, to be passed to `RaftNode.applyConfigChange(_:)` when it is applied.
        case configChange = 1
    }

    public var term: Term
    public var index: LogIndex
    public var kind: Kind
    public var data: [UInt8]

    public init(term: Term, index: LogIndex, kind: Kind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    /// The size counted against message and apply budgets: payload plus a fixed header.
    public var byteSize: Int { data.count + 24 }
}

extension Entry: CustomStringConvertible {
    public var description: String {
        switch kind {
        case .normal:
            return "\(term)/\(index)" + (data.isEmpty ? "" : " " + quoted(data))
        case .configChange:
            if let change = ConfigChange(encoded: data) {
                return "\(term)/\(index) \(change)"
            }
            return "\(term)/\(index) conf:<invalid>"
        }
    }
}

/// Renders bytes as a quoted string when they are printable ASCII, otherwise as hex.
func quoted(_ bytes: [UInt8]) -> String {
    if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "\"") }) {
        return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
    }
    let digits = bytes.map { byte -> String in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }
    return "0x" + digits.joined()
}
