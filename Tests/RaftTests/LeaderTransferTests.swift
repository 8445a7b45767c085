import Raft
import RaftTestKit
import Testing

/// Leadership transfer (thesis §3.10).
@Suite("Leader transfer")
struct LeaderTransferTests {
    private func elected(_ size: Int = 3) -> TestCluster {
        var cluster = TestCluster(voters: size)
        cluster.elect(1)
        _ = cluster.takeDelivered()
        return cluster
    }

    @Test("§3.10: the leader sends TimeoutNow to an up-to-date target, which starts an election at once and wins")
    func transferToUpToDateFollower() throws {
        var c = elected()
        try c[1].node.transferLeadership(to: 2)
        let sent1 = c[1].drain()
        #expect(sent1.map(\.kind) == [.timeoutNow])
        c = elected()
        try c[1].node.transferLeadership(to: 2)
        c.stabilize()
        #expect(c.leaders == [2])
        #expect(c[2].term == 2)
    }

    @Test("§3.10: the leader first brings a lagging target's log up to date")
    func transferToLaggingFollower() throws {
        var c = elected()
        c.cut.insert(.init(1, 3))
        for i in 0..<3 { try c[1].node.propose(bytes("e\(i)")) }
        c.stabilize()
        c.heal()
        try c[1].node.transferLeadership(to: 3)
        c.stabilize()
        #expect(c.leaders == [3])
        #expect(c[3].appliedData == ["e0", "e1", "e2"])
    }

    @Test("§3.10: during the transfer the leader stops accepting client requests")
    func refusesProposalsDuringTransfer() throws {
        var c = elected()
        c.isolate(3)
        try c[1].node.transferLeadership(to: 3)
        #expect(throws: RaftError.leadershipTransferInProgress) { try c[1].node.propose(bytes("x")) }
    }

    @Test(
        """
        §3.10: if the transfer does not complete within an election timeout, the leader aborts it and resumes \
        accepting requests
        """
    )
    func transferTimesOut() throws {
        var c = elected()
        c.isolate(3)
        try c[1].node.transferLeadership(to: 3)
        for _ in 0..<c[1].configuration.electionTick {
            c.tick(1)
            c.stabilize()
        }
        #expect(c[1].role == .leader)
        try c[1].node.propose(bytes("after"))
    }

    @Test("a follower forwards the request to the leader; transferring to a learner or to itself does nothing")
    func forwardingAndNoOps() throws {
        var c = TestCluster(members: [
            member(1, voters: [1, 2, 3], learners: [4]), member(2, voters: [1, 2, 3], learners: [4]),
            member(3, voters: [1, 2, 3], learners: [4]), member(4, voters: [1, 2, 3], learners: [4]),
        ])
        c.elect(1)
        try c[3].node.transferLeadership(to: 3)
        c.stabilize()
        #expect(c.leaders == [3])
        try c[3].node.transferLeadership(to: 4)
        try c[3].node.transferLeadership(to: 3)
        c.stabilize()
        #expect(c.leaders == [3])
        #expect(c[3].node.status.leadTransferee == nil)
    }
}
