import Raft

/// The byte layouts of `RaftLogStore`'s records. Integers are 8-byte big-endian, so that log keys sort in
/// index order; counts are 4-byte big-endian.
///
/// - log key: index
/// - log value: term, kind (1 byte), payload
/// - hard state: term, vote (0 for none: node id 0 is never valid), commit
/// - membership: applied index, voters (count, ids), learners (count, ids)
/// - snapshot metadata: index, term, voters, learners (the payload is stored apart)
/// - log start: index, term of the entry before the first available one
enum RaftLogEncoding {
    static func key(_ index: LogIndex) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(8)
        appendUInt64(index, to: &out)
        return out
    }

    static func index(fromKey key: UnsafeRawBufferPointer) throws(RaftStorageError) -> LogIndex {
        guard key.count == 8 else { throw .failure("raft log key of \(key.count) bytes") }
        var reader = Reader(key)
        return try reader.uint64()
    }

    static func encode(_ entry: Entry) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(9 + entry.data.count)
        append(entry, to: &out)
        return out
    }

    /// The log value of `entry` (term, kind, payload) appended to `out`.
    static func append(_ entry: Entry, to out: inout [UInt8]) {
        appendUInt64(entry.term, to: &out)
        out.append(entry.kind.rawValue)
        out.append(contentsOf: entry.data)
    }

    static func decodeEntry(index: LogIndex, _ bytes: UnsafeRawBufferPointer) throws(RaftStorageError) -> Entry {
        var reader = Reader(bytes)
        let term = try reader.uint64()
        let rawKind = try reader.uint8()
        guard let kind = Entry.Kind(rawValue: rawKind) else {
            throw .failure("raft log entry \(index) has unknown kind \(rawKind)")
        }
        return Entry(term: term, index: index, kind: kind, data: reader.rest())
    }

    /// The term of an encoded entry, without copying its payload.
    static func decodeTerm(_ bytes: UnsafeRawBufferPointer) throws(RaftStorageError) -> Term {
        var reader = Reader(bytes)
        return try reader.uint64()
    }

    static func encode(_ state: HardState) -> [UInt8] {
        var out: [UInt8] = []
        appendUInt64(state.term, to: &out)
        appendUInt64(state.vote ?? 0, to: &out)
        appendUInt64(state.commit, to: &out)
        return out
    }

    static func encodeUInt64(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        appendUInt64(value, to: &out)
        return out
    }

    static func decodeUInt64(_ bytes: UnsafeRawBufferPointer) throws(RaftStorageError) -> UInt64 {
        var reader = Reader(bytes)
        let value = try reader.uint64()
        try reader.expectEnd("integer")
        return value
    }

    static func decodeHardState(_ bytes: UnsafeRawBufferPointer) throws(RaftStorageError) -> HardState {
        var reader = Reader(bytes)
        let term = try reader.uint64()
        let vote = try reader.uint64()
        let commit = try reader.uint64()
        try reader.expectEnd("hard state")
        return HardState(term: term, vote: vote == 0 ? nil : vote, commit: commit)
    }

    static func encode(_ confState: ConfState, appliedIndex: LogIndex) -> [UInt8] {
        var out: [UInt8] = []
        appendUInt64(appliedIndex, to: &out)
        append(confState, to: &out)
        return out
    }

    static func decodeMembership(
        _ bytes: UnsafeRawBufferPointer
    ) throws(RaftStorageError) -> (confState: ConfState, appliedIndex: LogIndex) {
        var reader = Reader(bytes)
        let applied = try reader.uint64()
        let confState = try reader.confState()
        try reader.expectEnd("membership")
        return (confState, applied)
    }

    static func encodeMetadata(_ snapshot: Snapshot) -> [UInt8] {
        var out: [UInt8] = []
        appendUInt64(snapshot.index, to: &out)
        appendUInt64(snapshot.term, to: &out)
        append(snapshot.confState, to: &out)
        return out
    }

    /// The snapshot without its payload.
    static func decodeMetadata(_ bytes: UnsafeRawBufferPointer) throws(RaftStorageError) -> Snapshot {
        var reader = Reader(bytes)
        let index = try reader.uint64()
        let term = try reader.uint64()
        let confState = try reader.confState()
        try reader.expectEnd("snapshot metadata")
        return Snapshot(index: index, term: term, confState: confState)
    }

    static func encode(_ start: LogPosition) -> [UInt8] {
        var out: [UInt8] = []
        appendUInt64(start.index, to: &out)
        appendUInt64(start.term, to: &out)
        return out
    }

    static func decodePosition(_ bytes: UnsafeRawBufferPointer) throws(RaftStorageError) -> LogPosition {
        var reader = Reader(bytes)
        let index = try reader.uint64()
        let term = try reader.uint64()
        try reader.expectEnd("log start")
        return LogPosition(index: index, term: term)
    }

    private static func append(_ confState: ConfState, to out: inout [UInt8]) {
        for ids in [confState.voters, confState.learners] {
            appendUInt32(UInt32(ids.count), to: &out)
            for id in ids { appendUInt64(id, to: &out) }
        }
    }

    static func appendUInt64(_ value: UInt64, to out: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    static func appendUInt32(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 24, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    /// Reads fields in order, failing on truncated input rather than trapping: the bytes come from disk.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func uint8() throws(RaftStorageError) -> UInt8 {
            guard offset < bytes.count else { throw .failure("truncated raft record") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint64() throws(RaftStorageError) -> UInt64 {
            guard bytes.count - offset >= 8 else { throw .failure("truncated raft record") }
            var value: UInt64 = 0
            for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
            offset += 8
            return value
        }

        mutating func uint32() throws(RaftStorageError) -> UInt32 {
            guard bytes.count - offset >= 4 else { throw .failure("truncated raft record") }
            var value: UInt32 = 0
            for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
            offset += 4
            return value
        }

        mutating func ids() throws(RaftStorageError) -> [NodeID] {
            let count = Int(try uint32())
            guard (bytes.count - offset) / 8 >= count else { throw .failure("truncated raft membership") }
            var ids: [NodeID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try uint64()) }
            return ids
        }

        mutating func confState() throws(RaftStorageError) -> ConfState {
            let voters = try ids()
            let learners = try ids()
            return ConfState(voters: voters, learners: learners)
        }

        mutating func rest() -> [UInt8] {
            defer { offset = bytes.count }
            return [UInt8](bytes[offset...])
        }

        func expectEnd(_ what: String) throws(RaftStorageError) {
            guard offset == bytes.count else {
                throw .failure("\(what) record has \(bytes.count - offset) extra bytes")
            }
        }
    }
}
