import Raft
import RaftTestKit
import Testing

/// Membership changes, one member at a time (thesis §4.1, §4.2.1 learners, §4.2.2 removing the leader).
@Suite("Membership")
struct MembershipTests {
    private func bootstrapped(_ voters: [NodeID]) -> TestCluster {
        var cluster = TestCluster(
            members: voters.map {
                TestMember(id: $0, storage: MemoryStorage(bootstrap: ConfState(voters: voters)))
            })
        cluster.elect(voters[0])
        return cluster
    }

    @Test("§4.1: a change takes effect on each server when the entry is applied, and only one change may be pending")
    func oneChangeAtATime() throws {
        var c = bootstrapped([1, 2, 3])
        c.members[4] = TestMember(configuration: RaftConfiguration(id: 4), storage: MemoryStorage())
        try c[1].node.proposeConfigChange(ConfigChange(.addLearner, 4))
        #expect(throws: RaftError.configChangeInProgress) {
            try c[1].node.proposeConfigChange(ConfigChange(.addVoter, 4))
        }
        #expect(c[1].node.confState.learners == [], "not before it is applied")
        c.stabilize()
        for id in c.ids { #expect(c[id].node.confState == ConfState(voters: [1, 2, 3], learners: [4])) }
        try c[1].node.proposeConfigChange(ConfigChange(.addVoter, 4))
        c.stabilize()
        for id in c.ids { #expect(c[id].node.confState == ConfState(voters: [1, 2, 3, 4])) }
    }

    @Test("§4.2.1: a learner receives the log but does not count toward the quorum, and never campaigns")
    func learnersDoNotVote() throws {
        var c = bootstrapped([1, 2])
        c.members[3] = TestMember(configuration: RaftConfiguration(id: 3), storage: MemoryStorage())
        try c[1].node.proposeConfigChange(ConfigChange(.addLearner, 3))
        c.stabilize()
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        #expect(c[3].appliedData == ["x"], "a new member catches up from the bootstrap snapshot and the log")
        c.isolate(2)
        try c[1].node.propose(bytes("y"))
        c.stabilize()
        #expect(!c[1].appliedData.contains("y"), "leader and learner are not a quorum of voters")
        c[3].tickUntilCampaign()
        #expect(c[3].role == .follower)
    }

    @Test("§4.2.2: a leader that is removed from the configuration steps down once the change is applied")
    func removedLeaderStepsDown() throws {
        var c = bootstrapped([1, 2, 3])
        try c[1].node.proposeConfigChange(ConfigChange(.removeNode, 1))
        c.stabilize()
        #expect(c[1].role == .follower)
        #expect(c[1].node.confState == ConfState(voters: [2, 3]))
        #expect(throws: RaftError.noLeader) { try c[1].node.propose(bytes("x")) }
        c[1].tickUntilCampaign()
        #expect(c[1].role == .follower, "a removed member never campaigns")
        c.members.removeValue(forKey: 1)
        for _ in 0..<100 where c.leaders.isEmpty { c.tickAll(1) }
        #expect(c.leaders.count == 1)
        #expect(c.leaders.first != 1)
    }

    @Test("§4.1: removing a voter shrinks the quorum: a two-member group commits with both")
    func removalShrinksQuorum() throws {
        var c = bootstrapped([1, 2, 3])
        try c[1].node.proposeConfigChange(ConfigChange(.removeNode, 3))
        c.stabilize()
        c.isolate(3)
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        #expect(c[1].appliedData == ["x"])
        #expect(c[1].node.status.progress[3] == nil)
    }

    @Test("a new leader accepts a membership change only after applying the first entry of its term")
    func newLeaderWaitsBeforeChange() throws {
        var a = member(1, voters: [1], configure: { $0.preVote = false })
        a.node.campaign()
        let campaign = a.node.ready()
        a.write(campaign)
        a.node.persisted(through: campaign.number)
        #expect(a.role == .leader)
        #expect(throws: RaftError.configChangeInProgress) {
            try a.node.proposeConfigChange(ConfigChange(.addLearner, 2))
        }
        _ = a.drain()
        try a.node.proposeConfigChange(ConfigChange(.addLearner, 2))
    }

    @Test("a config change survives encoding")
    func encoding() {
        let change = ConfigChange(.addLearner, 0x0102_0304_0506_0708, context: bytes("http://10.0.0.1:2380"))
        #expect(ConfigChange(encoded: change.encoded) == change)
        #expect(ConfigChange(encoded: [9, 0, 0]) == nil)
    }
}
