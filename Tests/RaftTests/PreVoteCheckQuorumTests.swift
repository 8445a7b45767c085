import Raft
import RaftTestKit
import Testing

/// Pre-vote and check-quorum, named after the sentences of Ongaro's thesis (§9.6, §6.2) they check.
@Suite("Pre-vote and check-quorum")
struct PreVoteCheckQuorumTests {
    private func elected(_ size: Int, preVote: Bool = true, checkQuorum: Bool = true) -> TestCluster {
        var cluster = TestCluster(voters: size) {
            $0.preVote = preVote; $0.checkQuorum = checkQuorum
        }
        cluster.elect(1)
        _ = cluster.takeDelivered()
        return cluster
    }

    @Test("§9.6: in the pre-vote phase a candidate does not increment its term; it only asks whether it could win")
    func preCandidateKeepsTerm() {
        var a = member(1, voters: [1, 2, 3], term: 4)
        a.node.campaign()
        #expect(a.role == .preCandidate)
        #expect(a.term == 4)
        let ready = a.node.ready()
        #expect(ready.hardState == nil, "nothing to persist")
        let requests = ready.messages.filter {
            if case .vote(_, _, true, _) = $0.kind { return true } else { return false }
        }
        #expect(requests.map(\.to) == [2, 3])
        #expect(requests.allSatisfy { $0.term == 5 }, "asks for the next term")
    }

    @Test(
        "§9.6: a pre-candidate that learns it would win starts a real election; one that would lose stays at its term")
    func preVoteOutcome() {
        var winner = member(1, voters: [1, 2, 3], term: 4)
        winner.node.campaign()
        _ = winner.drain()
        winner.node.step(message(2, 1, term: 5, .voteResponse(granted: true, preVote: true)))
        #expect(winner.role == .candidate)
        #expect(winner.term == 5)

        var loser = member(1, voters: [1, 2, 3], term: 4)
        loser.node.campaign()
        _ = loser.drain()
        loser.node.step(message(2, 1, term: 4, .voteResponse(granted: false, preVote: true)))
        loser.node.step(message(3, 1, term: 4, .voteResponse(granted: false, preVote: true)))
        #expect(loser.role == .follower)
        #expect(loser.term == 4)
    }

    @Test(
        """
        §9.6: a server grants a pre-vote only if the candidate's log is up to date, and its own term and vote \
        do not change
        """
    )
    func preVoteGranting() {
        var voter = member(2, voters: [1, 2, 3], logTerms: [1, 2], term: 2)
        voter.node.step(message(1, 2, term: 3, .vote(lastIndex: 1, lastTerm: 1, preVote: true, transfer: false)))
        voter.node.step(message(3, 2, term: 3, .vote(lastIndex: 2, lastTerm: 2, preVote: true, transfer: false)))
        let answers = voter.drain().compactMap { message -> Bool? in
            if case .voteResponse(let granted, true) = message.kind { return granted }
            return nil
        }
        #expect(answers == [false, true])
        #expect(voter.term == 2)
        #expect(voter.node.hardState.vote == nil)
    }

    @Test("§9.6: a member rejoining after a partition does not disrupt the leader")
    func rejoiningMemberDoesNotDisrupt() {
        var c = elected(3, checkQuorum: false)
        c.isolate(3)
        for _ in 0..<5 {
            c[3].tickUntilCampaign()
            c.stabilize()
        }
        #expect(c[3].term == 1, "pre-votes fail, so the term never rises")
        c.heal()
        c[3].tickUntilCampaign()
        c.stabilize()
        #expect(c.leaders == [1])
        #expect(c[1].term == 1)
    }

    @Test("without pre-vote, the same rejoining member does force a new election")
    func withoutPreVoteRejoiningDisrupts() {
        var c = elected(3, preVote: false, checkQuorum: false)
        c.isolate(3)
        c[3].tickUntilCampaign()
        c.stabilize()
        #expect(c[3].term == 2)
        c.heal()
        c[3].tickUntilCampaignAgain()
        c.stabilize()
        #expect(c[1].term >= 3, "the leader of term 1 was deposed")
    }

    @Test(
        """
        §6.2: a leader steps down if an election timeout elapses without a successful round of heartbeats to a \
        majority
        """
    )
    func checkQuorumStepsDown() {
        var c = elected(3, preVote: false)
        c.isolate(1)
        for _ in 0..<(2 * c[1].configuration.electionTick) {
            c.tick(1)
            c.stabilize()
        }
        #expect(c[1].role == .follower)
        #expect(c[1].node.softState.leader == nil)

        var connected = elected(3, preVote: false)
        for _ in 0..<(3 * connected[1].configuration.electionTick) {
            connected.tick(1)
            connected.stabilize()
        }
        #expect(connected[1].role == .leader, "a leader that hears from a quorum stays")
    }

    @Test(
        """
        §4.2.3: a server that has heard from a current leader within the minimum election timeout ignores \
        RequestVote
        """)
    func leaseIgnoresVotes() {
        var c = elected(3, preVote: false)
        c[2].node.step(message(3, 2, term: 2, .vote(lastIndex: 1, lastTerm: 1, preVote: false, transfer: false)))
        let sent1 = c[2].drain()
        #expect(sent1.isEmpty)
        #expect(c[2].term == 1)
        #expect(c[2].node.softState.leader == 1)
        // A vote for a leadership transfer is not disruption: it is granted.
        c[2].node.step(message(3, 2, term: 2, .vote(lastIndex: 1, lastTerm: 1, preVote: false, transfer: true)))
        #expect(c[2].term == 2)
        #expect(c[2].node.hardState.vote == 3)
    }

    @Test("a leader left behind learns the newer term from the answer to its stale append, and steps down")
    func staleLeaderLearnsTerm() throws {
        // Without check-quorum, so that the cut-off leader keeps believing it leads.
        var c = elected(3, checkQuorum: false)
        c.isolate(1)
        // Members 2 and 3 stop hearing from the leader; one of them takes over (after split votes, maybe).
        for _ in 0..<100 where !c.leaders.contains(where: { $0 != 1 }) { c.tickAll(1) }
        guard let newLeader = c.leaders.first(where: { $0 != 1 }) else {
            Issue.record("no new leader")
            return
        }
        c.heal()
        try c[1].node.propose(bytes("stale"))
        c.stabilize()
        #expect(c.leaders == [newLeader])
        #expect(c[1].term == c[newLeader].term)
        #expect(c[1].role == .follower)
        c.tickAll(2)
        #expect(!c[newLeader].appliedData.contains("stale"))
        #expect(!c[1].appliedData.contains("stale"), "the stale leader's entry was never committed")
    }

    @Test("a leader whose connections dropped (a dead process) is replaced in under half an election timeout")
    func lostLeaderConnectionCampaignsEarly() {
        var c = elected(3)
        let electionTick = RaftConfiguration(id: 1).electionTick
        c.isolate(1)
        c[2].node.reportConnectionLost(from: 1)
        c[3].node.reportConnectionLost(from: 1)
        var ticks = 0
        while c.leaders.allSatisfy({ $0 == 1 }) && ticks < electionTick {
            c.tick(2)
            c.tick(3)
            c.stabilize()
            ticks += 1
        }
        let newLeaders = c.leaders.filter { $0 != 1 }
        #expect(newLeaders.count == 1)
        #expect(ticks <= electionTick / 2, "took \(ticks) ticks")
        #expect(c[newLeaders.first ?? 2].term == 2)
    }

    @Test("a lost connection from a leader that is still alive does not depose it, nor raise the term")
    func lostConnectionFromLiveLeader() {
        var c = elected(3)
        let electionTick = RaftConfiguration(id: 1).electionTick
        // Only member 3 saw a connection drop; member 2 still hears from the leader.
        c.cut.insert(TestCluster.Link(1, 3))
        c[3].node.reportConnectionLost(from: 1)
        for _ in 0..<electionTick / 2 + 1 {
            c.tick(3)
            c.stabilize()
        }
        #expect(c[3].role == .preCandidate || c[3].role == .follower)
        #expect(c.leaders == [1])
        #expect(c.ids.allSatisfy { c[$0].term == 1 }, "pre-votes fail inside the leader's lease")
        c.heal()
        c.tickAll(1)
        #expect(c.leaders == [1])
        #expect(c[3].role == .follower)
        #expect(c[3].term == 1)
    }

    @Test("a lost connection from a member that does not lead changes nothing")
    func lostConnectionFromFollower() {
        var c = elected(3)
        c[3].node.reportConnectionLost(from: 2)
        c.tick(3, RaftConfiguration(id: 3).electionTick - 1)
        c.stabilize()
        #expect(c[3].role == .follower)
        #expect(c.leaders == [1])
    }
}
