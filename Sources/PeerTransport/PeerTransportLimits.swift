import NIOCore

/// The bounds the transport works within. The defaults suit a store member; tests shrink them.
public struct PeerTransportLimits: Hashable, Sendable {
    /// Envelopes waiting for one peer's connection beyond which new ones are dropped (and the peer reported
    /// unreachable).
    public var maxQueuedEnvelopes: Int = 4096
    /// Encoded bytes waiting for one peer's connection beyond which new envelopes are dropped.
    public var maxQueuedBytes: Int = 64 << 20
    /// The largest frame (type byte and payload) accepted on a stream connection; larger envelopes are
    /// dropped by the sender and refused by the receiver.
    public var maxFrameSize: Int = 64 << 20
    /// The largest snapshot frame accepted.
    public var maxSnapshotSize: Int = 16 << 30
    /// The first reconnection delay after a failure; it doubles up to `maxBackoff` and is reset once a peer
    /// accepts a handshake.
    public var initialBackoff: TimeAmount = .milliseconds(50)
    public var maxBackoff: TimeAmount = .seconds(1)
    public var connectTimeout: TimeAmount = .seconds(2)
    /// How long an accepted connection may wait before sending its handshake, and a connecting member for
    /// the answer to its own.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// A snapshot transfer fails when no chunk has been written, or no acknowledgement has arrived, for
    /// this long.
    public var snapshotStallTimeout: TimeAmount = .seconds(30)
    /// Snapshot data is copied into the connection this many bytes at a time.
    public var snapshotChunkSize: Int = 1 << 20

    public init() {}
}
