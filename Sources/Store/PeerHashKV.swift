/// A peer's answer to "what is your HashKV at revision R?", asked over the peer connection by the
/// corruption checks.
struct PeerHashKV: Sendable, Equatable {
    /// Whether the peer could hash at the revision asked.
    enum Status: UInt8, Sendable {
        case hashed = 0
        /// The revision is at or below the peer's compacted revision.
        case compacted = 1
        /// The peer has not reached the revision yet.
        case futureRevision = 2
        /// The peer's store failed to read.
        case failed = 3
    }

    var member: UInt64
    var status: Status
    var hash: UInt32
    /// The peer's current revision when it hashed.
    var revision: Int64
    var compactRevision: Int64

    /// Application frame kinds on the peer connections for the question and its answer.
    static let requestFrame: UInt8 = 3
    static let answerFrame: UInt8 = 4

    /// requestID:u64 status:u8 hash:u64 revision:u64 compactRevision:u64
    func encoded(requestID: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 33)
        writer.write(requestID)
        writer.write(status.rawValue)
        writer.write(UInt64(hash))
        writer.write(UInt64(bitPattern: revision))
        writer.write(UInt64(bitPattern: compactRevision))
        return writer.bytes
    }

    /// Decodes an answer from `member`; nil for a malformed one.
    static func decode(_ payload: [UInt8], from member: UInt64) -> (requestID: UInt64, answer: PeerHashKV)? {
        var reader = ByteReader(payload)
        guard let requestID = try? reader.readUInt64(),
            let status = (try? reader.readUInt8()).flatMap(Status.init(rawValue:)),
            let hash = try? reader.readUInt64(), let revision = try? reader.readUInt64(),
            let compactRevision = try? reader.readUInt64()
        else { return nil }
        return (
            requestID,
            PeerHashKV(
                member: member, status: status, hash: UInt32(truncatingIfNeeded: hash),
                revision: Int64(bitPattern: revision), compactRevision: Int64(bitPattern: compactRevision))
        )
    }
}
