import Raft
import RaftTestKit
import Testing

@Suite("Raft paper §5.3–5.4: log replication and safety")
struct RaftPaperReplicationTests {
    /// A leader of term 1 in a cluster of `size`, with its no-op committed everywhere.
    private func cluster(_ size: Int, configure: (inout RaftConfiguration) -> Void = { _ in }) -> TestCluster {
        var cluster = TestCluster(voters: size, configure: configure)
        cluster.elect(1)
        _ = cluster.takeDelivered()
        return cluster
    }

    @Test(
        """
        §5.3: the leader appends the command to its log as a new entry, then issues AppendEntries RPCs in \
        parallel to each of the other servers
        """
    )
    func leaderAppendsAndReplicates() throws {
        var c = cluster(3)
        try c[1].node.propose(bytes("x"))
        let ready = c[1].node.ready()
        #expect(ready.entries.map(\.data) == [bytes("x")])
        #expect(ready.entries.map(\.index) == [2])
        let appends = ready.messages.filter(\.isAppend)
        #expect(appends.map(\.to) == [2, 3], "sent before the leader's own write is durable")
        #expect(appends.allSatisfy { $0.appendedEntries.map(\.index) == [2] })
    }

    @Test(
        """
        §5.3: a log entry is committed once the leader that created the entry has replicated it on a majority \
        of the servers
        """
    )
    func commitsOnMajority() throws {
        var c = cluster(5)
        c.isolate(4)
        c.isolate(5)
        try c[1].node.propose(bytes("x"))
        c.cut.insert(.init(1, 3))
        c.stabilize()
        #expect(c[1].commit == 1, "replicated on 2 of 5")
        c.cut.remove(.init(1, 3))
        c.tick(1)
        c.stabilize()
        #expect(c[1].commit == 2, "replicated on 3 of 5")
        #expect(c[1].appliedData == ["x"])
    }

    @Test("§5.3: a leader counts its own copy only once it is durable")
    func leaderCountsOwnCopyOnceDurable() throws {
        var a = member(1, voters: [1, 2, 3], configure: { $0.preVote = false })
        a.node.campaign()
        _ = a.drain()
        a.node.step(message(2, 1, term: 1, .voteResponse(granted: true, preVote: false)))
        _ = a.drain()
        try a.node.propose(bytes("x"))
        let ready = a.node.ready()
        #expect(ready.entries.last?.index == 2)
        // Follower 2 acknowledges before the leader's write completes: one copy of three.
        a.node.step(message(2, 1, term: 1, .appendResponse(index: 2, rejection: nil)))
        #expect(a.commit == 1)
        a.write(ready)
        a.node.persisted(through: ready.number)
        #expect(a.commit == 2)
    }

    @Test(
        """
        §5.3: the leader keeps track of the highest index it knows to be committed, and includes that index in \
        future AppendEntries RPCs, so followers find out
        """
    )
    func followersLearnCommit() throws {
        var c = cluster(3)
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        for id in c.ids {
            #expect(c[id].commit == 2)
            #expect(
                c[id].appliedData == ["x"], "once a follower learns that a log entry is committed, it applies the entry"
            )
        }
    }

    @Test(
        """
        §5.3: when the leader commits an entry, it also commits all preceding entries in its log, including \
        entries created by previous leaders
        """
    )
    func commitsPrecedingEntries() {
        // Member 1 has entries of term 1 that nobody committed; it wins term 2.
        var members = [member(1, voters: [1, 2, 3], logTerms: [1, 1, 1], term: 1)]
        members.append(member(2, voters: [1, 2, 3], logTerms: [1], term: 1))
        members.append(member(3, voters: [1, 2, 3], term: 1))
        var c = TestCluster(members: members)
        c.elect(1)
        #expect(c.leaders == [1])
        for id in c.ids {
            #expect(c[id].logTerms() == [1, 1, 1, 2])
            #expect(c[id].commit == 4)
        }
    }

    @Test(
        """
        §5.3: if the follower does not find an entry in its log with the same index and term, then it refuses \
        the new entries
        """
    )
    func followerRefusesMismatch() {
        let cases: [(previousTerm: Term, previous: LogIndex, accepted: Bool)] = [
            (0, 0, true), (1, 1, true), (2, 2, true), (1, 2, false), (3, 3, false), (2, 3, false),
        ]
        for (previousTerm, previous, accepted) in cases {
            var a = member(1, voters: [1, 2, 3], logTerms: [1, 2], term: 2)
            a.node.step(
                message(2, 1, term: 2, .append(previous: previous, previousTerm: previousTerm, entries: [], commit: 0)))
            let responses = a.drain()
            guard case .appendResponse(_, let rejection)? = responses.first?.kind else {
                Issue.record("no response for \(previousTerm)/\(previous)")
                continue
            }
            #expect((rejection == nil) == accepted, "\(previousTerm)/\(previous)")
        }
    }

    @Test(
        """
        §5.3: if an existing entry conflicts with a new one (same index but different terms), delete the \
        existing entry and all that follow it; append any new entries not already in the log
        """
    )
    func followerReplacesConflicts() {
        let cases: [(previous: LogIndex, previousTerm: Term, entries: [Term], expected: [Term])] = [
            (0, 0, [3], [3]),
            (1, 1, [3], [1, 3]),
            (1, 1, [2, 3], [1, 2, 3]),
            (2, 2, [3], [1, 2, 3]),
            (0, 0, [1], [1, 2]),
            (0, 0, [1, 2], [1, 2]),
        ]
        for (previous, previousTerm, entryTerms, expected) in cases {
            var a = member(1, voters: [1, 2, 3], logTerms: [1, 2], term: 2)
            let entries = entryTerms.enumerated().map {
                Entry(term: $1, index: previous + LogIndex($0) + 1, data: [UInt8($0)])
            }
            a.node.step(
                message(
                    2, 1, term: 3, .append(previous: previous, previousTerm: previousTerm, entries: entries, commit: 0))
            )
            _ = a.drain()
            #expect(a.logTerms() == expected, "append \(entryTerms) after \(previousTerm)/\(previous)")
            #expect(a.storage.hardState.term == 3)
        }
    }

    @Test("§5.3: the leader handles inconsistencies by forcing the followers' logs to duplicate its own (Figure 7)")
    func leaderForcesFollowerLogs() {
        let leaderLog: [Term] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        let followers: [[Term]] = [
            [1, 1, 1, 4, 4, 5, 5, 6, 6],  // (a)
            [1, 1, 1, 4],  // (b)
            [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],  // (c)
            [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],  // (d)
            [1, 1, 1, 4, 4, 4, 4],  // (e)
            [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],  // (f)
        ]
        for (position, followerLog) in followers.enumerated() {
            var leader = member(1, voters: [1, 2, 3], logTerms: leaderLog, term: 8)
            let follower = member(2, voters: [1, 2, 3], logTerms: followerLog, term: 7)
            // Member 3 votes for the leader but is then cut off, so only member 2 completes the majority.
            let voter = member(3, voters: [1, 2, 3], term: 7)
            leader.node.campaign()
            var c = TestCluster(members: [leader, follower, voter])
            c.stabilize()
            #expect(c.leaders == [1], "case \(position)")
            c.isolate(3)
            c.tick(1, 1)
            c.stabilize()
            #expect(c[2].logTerms() == c[1].logTerms(), "case (\(Character(UnicodeScalar(97 + position)!)))")
            #expect(c[2].commit == c[1].node.status.lastIndex)
        }
    }

    @Test("§5.3: after a rejection the leader skips a whole conflicting term per round trip")
    func fastBackoff() {
        // Follower (f) of Figure 7 diverges from index 4 with terms 2 and 3.
        var leader = member(1, voters: [1, 2], logTerms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6], term: 8)
        let follower = member(2, voters: [1, 2], logTerms: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], term: 7)
        leader.node.campaign()
        var c = TestCluster(members: [leader, follower])
        c.stabilize()
        let rejections = c.takeDelivered().filter {
            if case .appendResponse(_, let rejection?) = $0.kind { return rejection.hintTerm >= 0 }
            return false
        }
        #expect(c.leaders == [1])
        #expect(c[2].logTerms() == c[1].logTerms())
        #expect(rejections.count <= 2, "one per conflicting term, not one per entry: \(rejections)")
    }

    @Test("§5.4.2: Raft never commits log entries from previous terms by counting replicas (Figure 8)")
    func neverCommitsOldTermsByCounting() {
        // Figure 8's logs: member 1 led term 2 and replicated index 2 to member 2 only; member 5 led term 3
        // and wrote its own index 2 on itself only. Member 5 stays cut off.
        func members() -> [TestMember] {
            let voters: [NodeID] = [1, 2, 3, 4, 5]
            return [
                member(1, voters: voters, logTerms: [1, 2], term: 4, configure: { $0.preVote = false }),
                member(2, voters: voters, logTerms: [1, 2], term: 2),
                member(3, voters: voters, logTerms: [1], term: 3),
                member(4, voters: voters, logTerms: [1], term: 3),
                member(5, voters: voters, logTerms: [1, 3], term: 3),
            ]
        }
        var c = TestCluster(members: members())
        c.isolate(5)
        // Member 1 is elected for term 5 and replicates index 2 (term 2) together with its term-5 entry.
        c[1].node.campaign()
        c.stabilize()
        #expect(c.leaders == [1])
        #expect(c[1].term == 5)
        // The term-2 entry reached a majority only together with the term-5 entry, which is what commits it.
        #expect(c[1].logTerms() == [1, 2, 5])
        #expect(c[1].commit == 3)

        // Without the term-5 entry reaching a majority, the term-2 entry must stay uncommitted.
        var d = TestCluster(members: members())
        d.isolate(5)
        d[1].node.campaign()
        // Deliver the election, then strip the term-5 entry from every append: the followers end up with
        // index 2 (term 2) on a majority, and never with index 3.
        for _ in 0..<50 {
            for id in d.ids where d[id].node.hasReady {
                for message in d[id].handleReady().messages {
                    if message.appendedEntries.contains(where: { $0.term == 5 }) {
                        let kept = message.appendedEntries.filter { $0.term < 5 }
                        guard case .append(let previous, let previousTerm, _, let commit) = message.kind else {
                            continue
                        }
                        d.deliver(
                            Message(
                                from: message.from, to: message.to, term: message.term,
                                kind: .append(
                                    previous: previous, previousTerm: previousTerm, entries: kept, commit: commit)))
                    } else {
                        d.deliver(message)
                    }
                }
            }
        }
        #expect(d.leaders == [1])
        let matches = [2, 3, 4].map { d[1].node.status.progress[$0]?.match ?? 0 }
        #expect(matches == [2, 2, 2], "index 2 is on every follower but member 5")
        #expect(d[1].commit < 2, "an entry of term 2 on a majority is not committed by a term-5 leader")
    }

    @Test(
        """
        §5.4.3: a follower's log that is more up-to-date wins: a candidate lacking committed entries cannot be \
        elected
        """
    )
    func candidateWithoutCommittedEntriesLoses() throws {
        var c = cluster(3) {
            $0.preVote = false; $0.checkQuorum = false
        }
        c.isolate(3)
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        #expect(c[1].commit == 2)
        c.heal()
        c.isolate(1)
        c[3].node.campaign()
        c.stabilize()
        #expect(c[3].role != .leader)
        let refusals = c.takeDelivered().filter { $0.kind == .voteResponse(granted: false, preVote: false) }
        #expect(refusals.map(\.from) == [2])
        c[2].node.campaign()
        c.stabilize()
        #expect(c[2].role == .leader)
    }

    @Test("§5.3: entries are batched into one AppendEntries, within the size and count limits")
    func batching() throws {
        var c = cluster(2) { $0.maxEntriesPerMessage = 4 }
        c.isolate(2)
        for i in 0..<10 { try c[1].node.propose(bytes("e\(i)")) }
        c.stabilize()
        c.heal()
        _ = c.takeDelivered()
        c.tick(1)
        c.stabilize()
        let appends = c.takeDelivered().filter(\.isAppend)
        #expect(appends.allSatisfy { $0.appendedEntries.count <= 4 })
        #expect(appends.map(\.appendedEntries.count).reduce(0, +) >= 10)
        #expect(c[2].appliedData.count == 10)
    }

    @Test("a batch of proposals is appended together and sent in one append per follower")
    func batchProposal() throws {
        var c = cluster(3)
        try c[1].node.propose(contentsOf: (0..<5).map { bytes("b\($0)") })
        let appends = c[1].drain().filter(\.isAppend)
        #expect(appends.map(\.to) == [2, 3])
        #expect(appends.allSatisfy { $0.appendedEntries.count == 5 })
        for message in appends { c.deliver(message) }
        c.stabilize()
        #expect(c[3].appliedData == ["b0", "b1", "b2", "b3", "b4"])
    }

    @Test("§5.3: a follower in replicate state receives pipelined appends up to the in-flight limit")
    func pipeliningAndFlowControl() throws {
        var c = cluster(2) {
            $0.maxInflightMessages = 3; $0.maxEntriesPerMessage = 1
        }
        for i in 0..<8 { try c[1].node.propose(bytes("e\(i)")) }
        let sent = c[1].drain().filter(\.isAppend)
        #expect(sent.count == 3, "three appends in flight, then the window is full")
        #expect(c[1].node.status.progress[2]?.state == .replicate)
        for message in sent { c.deliver(message) }
        c.stabilize()
        #expect(c[2].appliedData.count == 8)
    }
}
