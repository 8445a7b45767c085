extension RaftNode {
    /// A read request reached the leader (from itself or a follower). It is served at the current commit
    /// index once a quorum confirms, by answering a heartbeat, that no newer leader exists (§6.4 of the
    /// thesis).
    mutating func handleReadIndex(from requester: NodeID, context: [UInt8]) {
        if tracker.result(of: [id: true]) == .won {
            // This member alone is a quorum.
            answerRead(index: log.committed, requester: requester, context: context)
            return
        }
        guard log.termOrZero(log.committed) == term else {
            // Until an entry of this term is committed the leader does not know the commit index (§8).
            pendingReadIndexRequests.append((requester, context))
            return
        }
        readIndexQueue.add(index: log.committed, requester: requester, context: context)
        acknowledgeReadIndex(context: context, from: id)
        broadcastHeartbeat(context: context)
    }

    mutating func acknowledgeReadIndex(context: [UInt8], from member: NodeID) {
        guard let acks = readIndexQueue.acknowledge(context, from: member), tracker.result(of: acks) == .won else {
            return
        }
        for request in readIndexQueue.advance(through: context) {
            answerRead(index: request.index, requester: request.requester, context: request.context)
        }
    }

    private mutating func answerRead(index: LogIndex, requester: NodeID, context: [UInt8]) {
        if requester == id {
            readStates.append(ReadState(index: index, context: context))
        } else {
            send(to: requester, .readIndexResponse(index: index, context: context))
        }
    }

    /// Called when the commit index advances: requests held until this term's first commit may now go.
    mutating func releasePendingReadIndexRequests() {
        guard !pendingReadIndexRequests.isEmpty, log.termOrZero(log.committed) == term else { return }
        let requests = pendingReadIndexRequests
        pendingReadIndexRequests = []
        for request in requests {
            handleReadIndex(from: request.requester, context: request.context)
        }
    }
}
