import NIOCore
import Raft

/// The frames exchanged on peer connections, and how they are written.
///
/// Every frame is a big-endian length (4 bytes; 8 bytes for the snapshot frame), then a type byte, then the
/// payload; the length counts the type byte and the payload. The first frame on every connection is the
/// initiator's handshake. On a stream connection the initiator then sends `raft` and `application` frames
/// and the acceptor answers only `accepted` or `rejected`; on a snapshot connection the initiator sends one
/// `snapshot` frame and the acceptor answers `snapshotAck` once it has delivered it.
enum PeerFrame: Hashable, Sendable {
    case handshake(PeerHandshake)
    case accepted
    case rejected(String)
    case envelope(PeerEnvelope)
    case snapshot(Message)
    case snapshotAck

    enum FrameType: UInt8 {
        case handshake = 1
        case accepted = 2
        case rejected = 3
        case raft = 4
        case application = 5
        case snapshot = 6
        case snapshotAck = 7
    }

    /// The largest handshake or reply frame accepted before a connection is known to speak this protocol,
    /// so that a stray client (an HTTP request, say) is refused at once.
    static let maxControlFrameSize = 1024

    /// Bytes taken by an application frame's fixed fields: kind, from and to.
    static let applicationHeaderSize = 17
}

/// The first frame of every connection: who is calling whom, in which cluster, and what for.
struct PeerHandshake: Hashable, Sendable {
    /// "KEEL" in ASCII.
    static let magic: UInt32 = 0x4B45_454C
    static let currentVersion: UInt16 = 1
    static let encodedSize = 31

    enum Purpose: UInt8, Sendable {
        /// The long-lived connection for all envelopes except snapshots.
        case stream = 0
        /// A connection that carries exactly one snapshot.
        case snapshot = 1
    }

    var version: UInt16 = PeerHandshake.currentVersion
    var purpose: Purpose
    var clusterID: UInt64
    var senderID: NodeID
    var receiverID: NodeID
}

enum PeerFrameWriter {
    static func writeHandshake(_ handshake: PeerHandshake, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(1 + PeerHandshake.encodedSize))
        buffer.writeInteger(PeerFrame.FrameType.handshake.rawValue)
        buffer.writeInteger(PeerHandshake.magic)
        buffer.writeInteger(handshake.version)
        buffer.writeInteger(handshake.purpose.rawValue)
        buffer.writeInteger(handshake.clusterID)
        buffer.writeInteger(handshake.senderID)
        buffer.writeInteger(handshake.receiverID)
    }

    static func writeAccepted(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(1))
        buffer.writeInteger(PeerFrame.FrameType.accepted.rawValue)
    }

    static func writeRejected(_ reason: String, into buffer: inout ByteBuffer) {
        let text = Array(reason.utf8.prefix(PeerFrame.maxControlFrameSize - 1))
        buffer.writeInteger(UInt32(1 + text.count))
        buffer.writeInteger(PeerFrame.FrameType.rejected.rawValue)
        buffer.writeBytes(text)
    }

    static func writeSnapshotAck(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(1))
        buffer.writeInteger(PeerFrame.FrameType.snapshotAck.rawValue)
    }

    /// The number of bytes `writeEnvelope` appends, length prefix included.
    static func frameSize(_ envelope: PeerEnvelope) -> Int {
        switch envelope {
        case .raft(let message): return 5 + RaftMessageCodec.encodedSize(message)
        case .application(_, let payload, _, _): return 5 + PeerFrame.applicationHeaderSize + payload.count
        }
    }

    /// Appends the envelope as one stream frame, or appends nothing and returns false when the frame would
    /// exceed `maxFrameSize` (which the receiver would refuse).
    static func writeEnvelope(_ envelope: PeerEnvelope, maxFrameSize: Int, into buffer: inout ByteBuffer) -> Bool {
        let length = frameSize(envelope) - 4
        guard length <= maxFrameSize else { return false }
        buffer.writeInteger(UInt32(length))
        switch envelope {
        case .raft(let message):
            buffer.writeInteger(PeerFrame.FrameType.raft.rawValue)
            RaftMessageCodec.encode(message, into: &buffer)
        case .application(let kind, let payload, let from, let to):
            buffer.writeInteger(PeerFrame.FrameType.application.rawValue)
            buffer.writeInteger(kind)
            buffer.writeInteger(from)
            buffer.writeInteger(to)
            buffer.writeBytes(payload)
        }
        return true
    }

    /// Appends the snapshot frame's length, type and everything of the message except the snapshot data,
    /// which must follow immediately, `snapshot.data.count` bytes of it.
    static func writeSnapshotHeader(_ message: Message, _ snapshot: Snapshot, into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt64(0))
        buffer.writeInteger(PeerFrame.FrameType.snapshot.rawValue)
        RaftMessageCodec.encodeSnapshotPrefix(message, snapshot, into: &buffer)
        let length = buffer.writerIndex - lengthIndex - 8 + snapshot.data.count
        buffer.setInteger(UInt64(length), at: lengthIndex)
    }
}
