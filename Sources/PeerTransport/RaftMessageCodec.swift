import NIOCore
import Raft

/// The compact binary form of a Raft `Message` as it travels between members.
///
/// Guarantees: `decode(encode(m)) == m` for every message; decoding reads only inside the given bytes and
/// reports truncated or malformed input as a `RaftMessageCodecError`, whatever the input. Counts and lengths
/// read from the wire are checked against the bytes that remain before anything is allocated, so garbage
/// cannot make the decoder reserve memory it was not sent.
///
/// Layout (`uv` is an unsigned LEB128 varint of at most 10 bytes, `bytes` is `uv` length then the bytes):
///
///     message            tag:u8 from:uv to:uv term:uv body
///     append (1)         previous:uv previousTerm:uv commit:uv entries
///     appendResponse (2) index:uv rejected:u8 [hintIndex:uv hintTerm:uv]
///     vote (3)           lastIndex:uv lastTerm:uv flags:u8 (1 = preVote, 2 = transfer)
///     voteResponse (4)   flags:u8 (1 = granted, 2 = preVote)
///     heartbeat (5)      commit:uv optional-bytes
///     heartbeatResp. (6) optional-bytes
///     snapshot (7)       index:uv term:uv voters learners data-length:uv data   (data is always last)
///     timeoutNow (8)     -
///     transferLeader (9) transferee:uv
///     readIndex (10)     bytes
///     readIndexResp.(11) index:uv bytes
///     propose (12)       entries
///     entries            count:uv (kind:u8 term:uv index:uv bytes)*
///     voters, learners   count:uv id:uv*
///     optional-bytes     present:u8 (0 or 1) [bytes]
public enum RaftMessageCodec {
    /// The message encoded into a new array.
    public static func encode(_ message: Message) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: encodedSize(message))
        encode(message, into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// Appends the encoded message to `buffer`.
    public static func encode(_ message: Message, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: encodedSize(message))
        writeHead(message, into: &buffer)
        switch message.kind {
        case .append(let previous, let previousTerm, let entries, let commit):
            writeVarint(previous, into: &buffer)
            writeVarint(previousTerm, into: &buffer)
            writeVarint(commit, into: &buffer)
            writeEntries(entries, into: &buffer)
        case .appendResponse(let index, let rejection):
            writeVarint(index, into: &buffer)
            if let rejection {
                buffer.writeInteger(UInt8(1))
                writeVarint(rejection.hintIndex, into: &buffer)
                writeVarint(rejection.hintTerm, into: &buffer)
            } else {
                buffer.writeInteger(UInt8(0))
            }
        case .vote(let lastIndex, let lastTerm, let preVote, let transfer):
            writeVarint(lastIndex, into: &buffer)
            writeVarint(lastTerm, into: &buffer)
            buffer.writeInteger(UInt8((preVote ? 1 : 0) | (transfer ? 2 : 0)))
        case .voteResponse(let granted, let preVote):
            buffer.writeInteger(UInt8((granted ? 1 : 0) | (preVote ? 2 : 0)))
        case .heartbeat(let commit, let context):
            writeVarint(commit, into: &buffer)
            writeOptionalBytes(context, into: &buffer)
        case .heartbeatResponse(let context):
            writeOptionalBytes(context, into: &buffer)
        case .snapshot(let snapshot):
            writeSnapshotMetadata(snapshot, into: &buffer)
            buffer.writeBytes(snapshot.data)
        case .timeoutNow:
            break
        case .transferLeader(let transferee):
            writeVarint(transferee, into: &buffer)
        case .readIndex(let context):
            writeBytes(context, into: &buffer)
        case .readIndexResponse(let index, let context):
            writeVarint(index, into: &buffer)
            writeBytes(context, into: &buffer)
        case .propose(let entries):
            writeEntries(entries, into: &buffer)
        }
    }

    /// Decodes one message that fills `bytes` exactly.
    public static func decode(_ bytes: [UInt8]) throws(RaftMessageCodecError) -> Message {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return try decode(exactly: buffer)
    }

    /// Decodes one message that fills the readable bytes of `buffer` exactly.
    public static func decode(exactly buffer: ByteBuffer) throws(RaftMessageCodecError) -> Message {
        var reader = Reader(buffer)
        let message = try reader.message()
        guard reader.remaining == 0 else {
            throw reader.error(.trailingBytes(reader.remaining), "message")
        }
        return message
    }

    /// The exact number of bytes `encode` produces for `message`.
    public static func encodedSize(_ message: Message) -> Int {
        var size = 1 + varintSize(message.from) + varintSize(message.to) + varintSize(message.term)
        switch message.kind {
        case .append(let previous, let previousTerm, let entries, let commit):
            size += varintSize(previous) + varintSize(previousTerm) + varintSize(commit) + entriesSize(entries)
        case .appendResponse(let index, let rejection):
            size += varintSize(index) + 1
            if let rejection { size += varintSize(rejection.hintIndex) + varintSize(rejection.hintTerm) }
        case .vote(let lastIndex, let lastTerm, _, _):
            size += varintSize(lastIndex) + varintSize(lastTerm) + 1
        case .voteResponse:
            size += 1
        case .heartbeat(let commit, let context):
            size += varintSize(commit) + 1 + (context.map(bytesSize) ?? 0)
        case .heartbeatResponse(let context):
            size += 1 + (context.map(bytesSize) ?? 0)
        case .snapshot(let snapshot):
            size += snapshotMetadataSize(snapshot) + snapshot.data.count
        case .timeoutNow:
            break
        case .transferLeader(let transferee):
            size += varintSize(transferee)
        case .readIndex(let context):
            size += bytesSize(context)
        case .readIndexResponse(let index, let context):
            size += varintSize(index) + bytesSize(context)
        case .propose(let entries):
            size += entriesSize(entries)
        }
        return size
    }

    // MARK: - Snapshot streaming

    /// Appends everything of a snapshot message except its data bytes, which the caller sends next, so
    /// that a large snapshot is never copied into one buffer.
    static func encodeSnapshotPrefix(_ message: Message, _ snapshot: Snapshot, into buffer: inout ByteBuffer) {
        writeHead(message, into: &buffer)
        writeSnapshotMetadata(snapshot, into: &buffer)
    }

    /// Reads the part of a snapshot message that precedes its data: the message with empty snapshot data
    /// and the number of data bytes that follow. Throws a `.truncated` error while `buffer` holds too
    /// little; `buffer` is advanced only on success.
    static func decodeSnapshotPrefix(
        from buffer: inout ByteBuffer
    ) throws(RaftMessageCodecError) -> (message: Message, dataLength: Int) {
        var reader = Reader(buffer)
        let (from, to, term, tag) = try reader.head()
        guard tag == Tag.snapshot.rawValue else { throw reader.error(.unexpectedKind(tag), "snapshot message kind") }
        let (snapshot, dataLength) = try reader.snapshotMetadata()
        buffer = reader.buffer
        return (Message(from: from, to: to, term: term, kind: .snapshot(snapshot)), dataLength)
    }

    // MARK: - Writing

    enum Tag: UInt8 {
        case append = 1
        case appendResponse = 2
        case vote = 3
        case voteResponse = 4
        case heartbeat = 5
        case heartbeatResponse = 6
        case snapshot = 7
        case timeoutNow = 8
        case transferLeader = 9
        case readIndex = 10
        case readIndexResponse = 11
        case propose = 12

        init(_ kind: Message.Kind) {
            switch kind {
            case .append: self = .append
            case .appendResponse: self = .appendResponse
            case .vote: self = .vote
            case .voteResponse: self = .voteResponse
            case .heartbeat: self = .heartbeat
            case .heartbeatResponse: self = .heartbeatResponse
            case .snapshot: self = .snapshot
            case .timeoutNow: self = .timeoutNow
            case .transferLeader: self = .transferLeader
            case .readIndex: self = .readIndex
            case .readIndexResponse: self = .readIndexResponse
            case .propose: self = .propose
            }
        }
    }

    private static func writeHead(_ message: Message, into buffer: inout ByteBuffer) {
        buffer.writeInteger(Tag(message.kind).rawValue)
        writeVarint(message.from, into: &buffer)
        writeVarint(message.to, into: &buffer)
        writeVarint(message.term, into: &buffer)
    }

    private static func writeSnapshotMetadata(_ snapshot: Snapshot, into buffer: inout ByteBuffer) {
        writeVarint(snapshot.index, into: &buffer)
        writeVarint(snapshot.term, into: &buffer)
        writeIDs(snapshot.confState.voters, into: &buffer)
        writeIDs(snapshot.confState.learners, into: &buffer)
        writeVarint(UInt64(snapshot.data.count), into: &buffer)
    }

    private static func snapshotMetadataSize(_ snapshot: Snapshot) -> Int {
        varintSize(snapshot.index) + varintSize(snapshot.term) + idsSize(snapshot.confState.voters)
            + idsSize(snapshot.confState.learners) + varintSize(UInt64(snapshot.data.count))
    }

    private static func writeEntries(_ entries: [Entry], into buffer: inout ByteBuffer) {
        writeVarint(UInt64(entries.count), into: &buffer)
        for entry in entries {
            buffer.writeInteger(entry.kind.rawValue)
            writeVarint(entry.term, into: &buffer)
            writeVarint(entry.index, into: &buffer)
            writeBytes(entry.data, into: &buffer)
        }
    }

    private static func entriesSize(_ entries: [Entry]) -> Int {
        var size = varintSize(UInt64(entries.count))
        for entry in entries {
            size += 1 + varintSize(entry.term) + varintSize(entry.index) + bytesSize(entry.data)
        }
        return size
    }

    private static func writeIDs(_ ids: [NodeID], into buffer: inout ByteBuffer) {
        writeVarint(UInt64(ids.count), into: &buffer)
        for id in ids { writeVarint(id, into: &buffer) }
    }

    private static func idsSize(_ ids: [NodeID]) -> Int {
        ids.reduce(varintSize(UInt64(ids.count))) { $0 + varintSize($1) }
    }

    private static func writeBytes(_ bytes: [UInt8], into buffer: inout ByteBuffer) {
        writeVarint(UInt64(bytes.count), into: &buffer)
        buffer.writeBytes(bytes)
    }

    private static func bytesSize(_ bytes: [UInt8]) -> Int {
        varintSize(UInt64(bytes.count)) + bytes.count
    }

    private static func writeOptionalBytes(_ bytes: [UInt8]?, into buffer: inout ByteBuffer) {
        if let bytes {
            buffer.writeInteger(UInt8(1))
            writeBytes(bytes, into: &buffer)
        } else {
            buffer.writeInteger(UInt8(0))
        }
    }

    static func writeVarint(_ value: UInt64, into buffer: inout ByteBuffer) {
        var value = value
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        buffer.writeInteger(UInt8(value))
    }

    static func varintSize(_ value: UInt64) -> Int {
        // Each byte carries 7 bits; zero still takes one byte.
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }
}

// MARK: - Reading

extension RaftMessageCodec {
    /// A bounds-checked cursor over the bytes of one message. Every read either succeeds inside the buffer
    /// or throws, naming the field and its offset from the start of the message.
    struct Reader {
        var buffer: ByteBuffer
        private let start: Int

        init(_ buffer: ByteBuffer) {
            self.buffer = buffer
            self.start = buffer.readerIndex
        }

        var remaining: Int { buffer.readableBytes }

        func error(_ reason: RaftMessageCodecError.Reason, _ field: String) -> RaftMessageCodecError {
            RaftMessageCodecError(reason: reason, field: field, offset: buffer.readerIndex - start)
        }

        mutating func byte(_ field: String) throws(RaftMessageCodecError) -> UInt8 {
            guard let value = buffer.readInteger(as: UInt8.self) else { throw error(.truncated, field) }
            return value
        }

        mutating func varint(_ field: String) throws(RaftMessageCodecError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            let mark = buffer.readerIndex
            while true {
                guard let byte = buffer.readInteger(as: UInt8.self) else {
                    buffer.moveReaderIndex(to: mark)
                    throw error(.truncated, field)
                }
                // The tenth byte may carry only the top bit of a 64-bit value.
                if shift == 63 && byte > 1 {
                    buffer.moveReaderIndex(to: mark)
                    throw error(.varintOverflow, field)
                }
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }

        mutating func flag(_ field: String) throws(RaftMessageCodecError) -> Bool {
            let value = try byte(field)
            guard value <= 1 else { throw error(.invalidFlags(value), field) }
            return value == 1
        }

        /// A length or count that must fit in what remains, each counted item taking at least
        /// `minimumItemSize` bytes.
        mutating func count(_ field: String, minimumItemSize: Int) throws(RaftMessageCodecError) -> Int {
            let value = try varint(field)
            guard value <= UInt64(remaining / minimumItemSize) else {
                throw error(.truncated, field)
            }
            return Int(value)
        }

        mutating func bytes(_ field: String) throws(RaftMessageCodecError) -> [UInt8] {
            let length = try count(field, minimumItemSize: 1)
            return buffer.readBytes(length: length) ?? []
        }

        mutating func optionalBytes(_ field: String) throws(RaftMessageCodecError) -> [UInt8]? {
            try flag(field) ? try bytes(field) : nil
        }

        mutating func ids(_ field: String) throws(RaftMessageCodecError) -> [NodeID] {
            let count = try count(field, minimumItemSize: 1)
            var ids: [NodeID] = []
            ids.reserveCapacity(count)
            for _ in 0..<count { ids.append(try varint(field)) }
            return ids
        }

        mutating func entries() throws(RaftMessageCodecError) -> [Entry] {
            // kind, term, index and data length take at least one byte each.
            let count = try count("entry count", minimumItemSize: 4)
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let rawKind = try byte("entry kind")
                guard let kind = Entry.Kind(rawValue: rawKind) else {
                    throw error(.unexpectedKind(rawKind), "entry kind")
                }
                let term = try varint("entry term")
                let index = try varint("entry index")
                let data = try bytes("entry data")
                entries.append(Entry(term: term, index: index, kind: kind, data: data))
            }
            return entries
        }

        mutating func head() throws(RaftMessageCodecError) -> (NodeID, NodeID, Term, UInt8) {
            let tag = try byte("message kind")
            let from = try varint("from")
            let to = try varint("to")
            let term = try varint("term")
            return (from, to, term, tag)
        }

        mutating func snapshotMetadata() throws(RaftMessageCodecError) -> (Snapshot, Int) {
            let index = try varint("snapshot index")
            let term = try varint("snapshot term")
            let voters = try ids("snapshot voters")
            let learners = try ids("snapshot learners")
            let lengthValue = try varint("snapshot data length")
            guard lengthValue <= UInt64(Int.max) else { throw error(.truncated, "snapshot data length") }
            let snapshot = Snapshot(
                index: index,
                term: term,
                confState: ConfState(voters: voters, learners: learners)
            )
            return (snapshot, Int(lengthValue))
        }

        mutating func message() throws(RaftMessageCodecError) -> Message {
            let (from, to, term, rawTag) = try head()
            guard let tag = Tag(rawValue: rawTag) else { throw error(.unexpectedKind(rawTag), "message kind") }
            let kind: Message.Kind
            switch tag {
            case .append:
                let previous = try varint("previous index")
                let previousTerm = try varint("previous term")
                let commit = try varint("commit")
                kind = .append(previous: previous, previousTerm: previousTerm, entries: try entries(), commit: commit)
            case .appendResponse:
                let index = try varint("index")
                var rejection: Message.Rejection?
                if try flag("rejected") {
                    let hintIndex = try varint("hint index")
                    let hintTerm = try varint("hint term")
                    rejection = Message.Rejection(hintIndex: hintIndex, hintTerm: hintTerm)
                }
                kind = .appendResponse(index: index, rejection: rejection)
            case .vote:
                let lastIndex = try varint("last index")
                let lastTerm = try varint("last term")
                let flags = try byte("vote flags")
                guard flags & ~3 == 0 else { throw error(.invalidFlags(flags), "vote flags") }
                kind = .vote(
                    lastIndex: lastIndex,
                    lastTerm: lastTerm,
                    preVote: flags & 1 != 0,
                    transfer: flags & 2 != 0
                )
            case .voteResponse:
                let flags = try byte("vote response flags")
                guard flags & ~3 == 0 else { throw error(.invalidFlags(flags), "vote response flags") }
                kind = .voteResponse(granted: flags & 1 != 0, preVote: flags & 2 != 0)
            case .heartbeat:
                let commit = try varint("commit")
                kind = .heartbeat(commit: commit, context: try optionalBytes("context"))
            case .heartbeatResponse:
                kind = .heartbeatResponse(context: try optionalBytes("context"))
            case .snapshot:
                var (snapshot, length) = try snapshotMetadata()
                guard length <= remaining else { throw error(.truncated, "snapshot data") }
                snapshot.data = buffer.readBytes(length: length) ?? []
                kind = .snapshot(snapshot)
            case .timeoutNow:
                kind = .timeoutNow
            case .transferLeader:
                kind = .transferLeader(transferee: try varint("transferee"))
            case .readIndex:
                kind = .readIndex(context: try bytes("context"))
            case .readIndexResponse:
                let index = try varint("index")
                kind = .readIndexResponse(index: index, context: try bytes("context"))
            case .propose:
                kind = .propose(entries: try entries())
            }
            return Message(from: from, to: to, term: term, kind: kind)
        }
    }
}

/// Input that is not a well-formed encoded `Message`: what was wrong, in which field, and where.
public struct RaftMessageCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong with the input.
    public enum Reason: Hashable, Sendable {
        /// The input ends inside the field, or a length or count in it exceeds what remains.
        case truncated
        /// An unknown message or entry kind, or a kind not allowed here.
        case unexpectedKind(UInt8)
        /// A flag byte with bits that have no meaning.
        case invalidFlags(UInt8)
        /// A varint longer than 64 bits.
        case varintOverflow
        /// Bytes left after a complete message.
        case trailingBytes(Int)
    }

    public var reason: Reason
    /// The field being read.
    public var field: String
    /// The offset of the failing read from the start of the message.
    public var offset: Int

    public init(reason: Reason, field: String, offset: Int) {
        self.reason = reason
        self.field = field
        self.offset = offset
    }

    /// True when the input may be a valid message cut short, rather than garbage.
    public var isTruncation: Bool { reason == .truncated }

    public var description: String {
        let what: String
        switch reason {
        case .truncated: what = "truncated"
        case .unexpectedKind(let kind): what = "unexpected kind \(kind)"
        case .invalidFlags(let flags): what = "invalid flags \(flags)"
        case .varintOverflow: what = "varint overflows 64 bits"
        case .trailingBytes(let count): what = "\(count) trailing bytes"
        }
        return "malformed Raft message: \(what) in \(field) at offset \(offset)"
    }
}
