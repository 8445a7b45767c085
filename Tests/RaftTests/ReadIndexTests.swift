import Raft
import RaftTestKit
import Testing

/// Linearizable reads through ReadIndex (thesis §6.4).
@Suite("ReadIndex")
struct ReadIndexTests {
    @Test(
        """
        §6.4: the leader records its commit index as the read index, and answers once a heartbeat round \
        confirms it still leads
        """
    )
    func leaderConfirmsWithHeartbeats() throws {
        var c = TestCluster(voters: 3)
        c.elect(1)
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        try c[1].node.readIndex(context: bytes("r1"))
        let sent = c[1].drain()
        #expect(sent.count == 2)
        #expect(sent.allSatisfy { $0.kind == .heartbeat(commit: 2, context: bytes("r1")) })
        let reads1 = c[1].takeReadStates()
        #expect(reads1.isEmpty, "not before a quorum answers")
        c.deliver(sent[0])
        c.stabilize()
        let reads2 = c[1].takeReadStates()
        #expect(reads2 == [ReadState(index: 2, context: bytes("r1"))])
    }

    @Test("§6.4: a leader cut off from the quorum never answers a read")
    func isolatedLeaderDoesNotAnswer() throws {
        var c = TestCluster(voters: 3)
        c.elect(1)
        c.isolate(1)
        try c[1].node.readIndex(context: bytes("r"))
        c.stabilize()
        c.tick(1)
        c.stabilize()
        let reads3 = c[1].takeReadStates()
        #expect(reads3.isEmpty)
    }

    @Test("§6.4: a new leader serves reads only once it has committed an entry of its own term")
    func waitsForCommitInTerm() throws {
        var c = TestCluster(voters: 3)
        c[1].node.campaign()
        // Run the election but hold back the appends carrying the leader's first entry.
        var held: [Message] = []
        for _ in 0..<20 {
            for id in c.ids where c[id].node.hasReady {
                for message in c[id].handleReady().messages {
                    if message.isAppend { held.append(message) } else { c.deliver(message) }
                }
            }
        }
        #expect(c.leaders == [1])
        try c[1].node.readIndex(context: bytes("early"))
        let sent4 = c[1].drain()
        #expect(sent4.isEmpty, "no heartbeat round yet: the commit index is not known")
        for message in held { c.deliver(message) }
        c.stabilize()
        let reads5 = c[1].takeReadStates()
        #expect(reads5 == [ReadState(index: 1, context: bytes("early"))])
    }

    @Test("§6.4: a follower asks the leader for the read index")
    func followerForwards() throws {
        var c = TestCluster(voters: 3)
        c.elect(1)
        try c[3].node.readIndex(context: bytes("f"))
        c.stabilize()
        let reads6 = c[3].takeReadStates()
        #expect(reads6 == [ReadState(index: 1, context: bytes("f"))])
        let reads7 = c[1].takeReadStates()
        #expect(reads7.isEmpty)
    }

    @Test("a single-member group answers at once")
    func singleMember() throws {
        var c = TestCluster(voters: 1)
        c.elect(1)
        try c[1].node.readIndex(context: bytes("s"))
        c.stabilize()
        let reads8 = c[1].takeReadStates()
        #expect(reads8 == [ReadState(index: 1, context: bytes("s"))])
    }

    @Test("reads are answered in order: a quorum for a later read confirms the earlier ones")
    func laterAckConfirmsEarlier() throws {
        var c = TestCluster(voters: 3)
        c.elect(1)
        try c[1].node.readIndex(context: bytes("a"))
        let first = c[1].drain()
        try c[1].node.readIndex(context: bytes("b"))
        _ = first
        c.stabilize()
        let reads9 = c[1].takeReadStates()
        #expect(reads9.map(\.context) == [bytes("a"), bytes("b")])
    }
}
