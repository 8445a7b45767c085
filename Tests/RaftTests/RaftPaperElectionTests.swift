import Raft
import RaftTestKit
import Testing

/// Each test is named after the sentence of the Raft paper (Ongaro & Ousterhout, 2014) it checks.
@Suite("Raft paper §5.1–5.2: terms and leader election")
struct RaftPaperElectionTests {
    @Test(
        """
        §5.1: if one server's current term is smaller than the other's, it updates its current term to the \
        larger value
        """
    )
    func updatesTermFromMessage() {
        for role in [RaftRole.follower, .candidate, .leader] {
            var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
            switch role {
            case .follower: break
            case .candidate:
                a.node.campaign()
                _ = a.drain()
            case .leader:
                a.node.campaign()
                _ = a.drain()
                a.node.step(message(2, 1, term: 1, .voteResponse(granted: true, preVote: false)))
                _ = a.drain()
            case .preCandidate: break
            }
            #expect(a.role == role)
            a.node.step(message(2, 1, term: 5, .append(previous: 0, previousTerm: 0, entries: [], commit: 0)))
            #expect(a.term == 5, "\(role)")
            #expect(
                a.role == .follower,
                "\(role): if a candidate or leader discovers that its term is out of date, it reverts to follower"
            )
            #expect(a.node.softState.leader == 2)
        }
    }

    @Test("§5.1: if a server receives a request with a stale term number, it rejects the request")
    func rejectsStaleTerm() {
        var a = member(
            1, voters: [1, 2, 3], term: 3,
            configure: {
                $0.preVote = false; $0.checkQuorum = false
            })
        a.node.step(
            message(
                2, 1, term: 2, .append(previous: 0, previousTerm: 0, entries: [Entry(term: 2, index: 1)], commit: 0)))
        let sent1 = a.drain()
        #expect(sent1.isEmpty)
        #expect(a.node.status.lastIndex == 0)
        #expect(a.term == 3)
    }

    @Test("§5.2: when servers start up, they begin as followers")
    func startsAsFollower() {
        let a = member(1, voters: [1, 2, 3])
        #expect(a.role == .follower)
        #expect(a.node.softState.leader == nil)
    }

    @Test("§5.2: leaders send periodic heartbeats to all followers in order to maintain their authority")
    func leaderSendsHeartbeats() {
        var cluster = TestCluster(voters: 3) {
            $0.heartbeatTick = 1; $0.electionTick = 10
        }
        cluster.elect(1)
        _ = cluster.takeDelivered()
        cluster.tick(1)
        let sent = cluster[1].drain()
        let heartbeats = sent.filter { if case .heartbeat = $0.kind { return true } else { return false } }
        #expect(heartbeats.map(\.to) == [2, 3])
        #expect(heartbeats.allSatisfy { $0.term == 1 })
    }

    @Test(
        """
        §5.2: if a follower receives no communication over the election timeout, it begins an election: it \
        increments its term, votes for itself and issues RequestVote RPCs in parallel
        """
    )
    func followerStartsElection() {
        var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
        a.tickUntilCampaign()
        #expect(a.role == .candidate)
        #expect(a.term == 1)
        #expect(a.node.hardState.vote == 1)
        let sent = a.drain()
        let votes = sent.filter { if case .vote(_, _, false, _) = $0.kind { return true } else { return false } }
        #expect(votes.map(\.to) == [2, 3])
        #expect(votes.allSatisfy { $0.term == 1 })
    }

    @Test(
        """
        §5.2: a candidate wins an election if it receives votes from a majority of the servers in the full \
        cluster for the same term
        """
    )
    func candidateWinsWithMajority() {
        let cases: [(size: Int, granted: [NodeID], rejected: [NodeID], expected: RaftRole)] = [
            (1, [], [], .leader),
            (3, [2], [], .leader),
            (3, [2, 3], [], .leader),
            (3, [], [], .candidate),
            (5, [2], [], .candidate),
            (5, [2, 3], [], .leader),
            (5, [], [2, 3], .candidate),
            (5, [], [2, 3, 4], .follower),
            (5, [2], [3, 4], .candidate),
        ]
        for (size, granted, rejected, expected) in cases {
            let voters = (1...size).map { NodeID($0) }
            var a = member(1, voters: voters, configure: { $0.preVote = false })
            a.node.campaign()
            _ = a.drain()
            for id in granted { a.node.step(message(id, 1, term: 1, .voteResponse(granted: true, preVote: false))) }
            for id in rejected { a.node.step(message(id, 1, term: 1, .voteResponse(granted: false, preVote: false))) }
            _ = a.drain()
            #expect(a.role == expected, "size \(size) granted \(granted) rejected \(rejected)")
        }
    }

    @Test("§5.2: each server will vote for at most one candidate in a given term, on a first-come-first-served basis")
    func votesOncePerTerm() {
        var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
        a.node.step(message(2, 1, term: 1, .vote(lastIndex: 0, lastTerm: 0, preVote: false, transfer: false)))
        a.node.step(message(3, 1, term: 1, .vote(lastIndex: 0, lastTerm: 0, preVote: false, transfer: false)))
        // A repeated request from the same candidate is granted again.
        a.node.step(message(2, 1, term: 1, .vote(lastIndex: 0, lastTerm: 0, preVote: false, transfer: false)))
        let answers = a.drain().compactMap { message -> (NodeID, Bool)? in
            if case .voteResponse(let granted, _) = message.kind { return (message.to, granted) }
            return nil
        }
        #expect(answers.map(\.0) == [2, 3, 2])
        #expect(answers.map(\.1) == [true, false, true])
        #expect(a.node.hardState.vote == 2)
    }

    @Test("§5.2: a vote is sent only once it is durable, and a candidate counts its own vote only once durable")
    func votesWaitForPersistence() {
        var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
        a.node.step(message(2, 1, term: 1, .vote(lastIndex: 0, lastTerm: 0, preVote: false, transfer: false)))
        let ready = a.node.ready()
        #expect(ready.messages.isEmpty)
        #expect(ready.persistedMessages.count == 1)
        #expect(ready.hardState == HardState(term: 1, vote: 2, commit: 0))
        #expect(ready.mustSync)

        var single = member(1, voters: [1], configure: { $0.preVote = false })
        single.node.campaign()
        let campaign = single.node.ready()
        #expect(single.node.softState.role == .candidate, "not a leader before its vote is durable")
        single.write(campaign)
        single.node.persisted(through: campaign.number)
        #expect(single.node.softState.role == .leader)
    }

    @Test(
        """
        §5.2: while waiting for votes, a candidate that receives AppendEntries from a leader whose term is at \
        least as large returns to follower state
        """
    )
    func candidateFallsBackOnAppend() {
        var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
        a.node.campaign()
        _ = a.drain()
        a.node.step(message(2, 1, term: 1, .append(previous: 0, previousTerm: 0, entries: [], commit: 0)))
        #expect(a.role == .follower)
        #expect(a.term == 1)
        #expect(a.node.softState.leader == 2)
    }

    @Test(
        """
        §5.2: if many followers become candidates at the same time, votes could be split; a new election \
        starts on timeout, with a higher term
        """
    )
    func splitVoteStartsNewElection() {
        var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
        a.node.campaign()
        _ = a.drain()
        a.node.step(message(2, 1, term: 1, .voteResponse(granted: false, preVote: false)))
        #expect(a.role == .candidate)
        a.tickUntilCampaignAgain()
        #expect(a.role == .candidate)
        #expect(a.term == 2)
    }

    @Test("§5.2: election timeouts are chosen randomly from a fixed interval (here [electionTick, 2·electionTick))")
    func randomizedElectionTimeouts() {
        var seen = Set<Int>()
        for seed in 0..<200 {
            var a = member(1, voters: [1, 2, 3], configure: { $0.random = SplitMix64(seed: UInt64(seed)) })
            var ticks = 0
            while a.role == .follower && ticks < 100 {
                a.node.tick()
                ticks += 1
            }
            seen.insert(ticks)
        }
        #expect(seen == Set(10..<20))
    }

    @Test("§5.2: the same seed gives the same election timeouts")
    func seededTimeoutsReplay() {
        func timeouts(seed: UInt64) -> [Int] {
            var a = member(
                1, voters: [1],
                configure: {
                    $0.random = SplitMix64(seed: seed); $0.preVote = false
                })
            var out: [Int] = []
            for _ in 0..<5 {
                a.restart()
                var ticks = 0
                while a.role == .follower {
                    a.node.tick()
                    ticks += 1
                }
                out.append(ticks)
            }
            return out
        }
        #expect(timeouts(seed: 42) == timeouts(seed: 42))
    }

    @Test("§5.4.1: the voter denies its vote if its own log is more up-to-date than that of the candidate")
    func votesOnlyForUpToDateLogs() {
        // The voter's log ends at term 2, index 2.
        let cases: [(lastIndex: LogIndex, lastTerm: Term, granted: Bool)] = [
            (1, 1, false), (2, 1, false), (3, 1, false),
            (1, 2, false), (2, 2, true), (3, 2, true),
            (1, 3, true), (2, 3, true), (3, 3, true),
        ]
        for (lastIndex, lastTerm, expected) in cases {
            var a = member(1, voters: [1, 2, 3], logTerms: [1, 2], term: 2, configure: { $0.preVote = false })
            a.node.step(
                message(2, 1, term: 3, .vote(lastIndex: lastIndex, lastTerm: lastTerm, preVote: false, transfer: false))
            )
            let granted = a.drain().contains {
                if case .voteResponse(true, _) = $0.kind { return true } else { return false }
            }
            #expect(granted == expected, "candidate at \(lastTerm)/\(lastIndex)")
        }
    }

    @Test("§5.2: a new leader appends an entry of its term, so that it can commit")
    func leaderAppendsNoOp() {
        var cluster = TestCluster(voters: 3)
        cluster.elect(1)
        #expect(cluster.leaders == [1])
        for id in cluster.ids {
            #expect(cluster[id].node.status.lastIndex == 1)
            #expect(cluster[id].node.term(at: 1) == cluster[1].term)
            #expect(cluster[id].commit == 1)
        }
    }
}

extension TestMember {
    mutating func tickUntilCampaignAgain() {
        let start = term
        for _ in 0..<(2 * configuration.electionTick) {
            node.tick()
            if term > start { return }
        }
    }
}
