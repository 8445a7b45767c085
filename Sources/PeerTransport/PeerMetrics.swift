import Metrics
import Raft

/// The counters of the traffic to one peer, labelled with the local member and the peer.
struct PeerMetrics: Sendable {
    let bytesSent: Counter
    let messagesSent: Counter
    let messagesDropped: Counter
    let reconnects: Counter
    let snapshotsSucceeded: Counter
    let snapshotsFailed: Counter

    init(member: NodeID, peer: NodeID) {
        let dimensions = [("member", String(member, radix: 16)), ("peer", String(peer, radix: 16))]
        bytesSent = Counter(label: "keel_peer_sent_bytes_total", dimensions: dimensions)
        messagesSent = Counter(label: "keel_peer_sent_messages_total", dimensions: dimensions)
        messagesDropped = Counter(label: "keel_peer_dropped_messages_total", dimensions: dimensions)
        reconnects = Counter(label: "keel_peer_reconnects_total", dimensions: dimensions)
        snapshotsSucceeded = Counter(
            label: "keel_peer_sent_snapshots_total",
            dimensions: dimensions + [("result", "success")]
        )
        snapshotsFailed = Counter(
            label: "keel_peer_sent_snapshots_total",
            dimensions: dimensions + [("result", "failure")]
        )
    }
}

/// The counters of the traffic from one peer.
struct InboundMetrics: Sendable {
    let bytesReceived: Counter
    let messagesReceived: Counter

    init(member: NodeID, peer: NodeID) {
        let dimensions = [("member", String(member, radix: 16)), ("peer", String(peer, radix: 16))]
        bytesReceived = Counter(label: "keel_peer_received_bytes_total", dimensions: dimensions)
        messagesReceived = Counter(label: "keel_peer_received_messages_total", dimensions: dimensions)
    }
}
