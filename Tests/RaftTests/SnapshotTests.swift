import Raft
import RaftTestKit
import Testing

/// Log compaction and snapshots (paper §7).
@Suite("Snapshots")
struct SnapshotTests {
    @Test(
        """
        §7: the leader sends InstallSnapshot to followers that lag too far behind, when it has discarded the \
        entries they need
        """
    )
    func lagginFollowerGetsSnapshot() throws {
        var c = TestCluster(
            members: (1...3).map {
                TestMember(id: NodeID($0), storage: MemoryStorage(bootstrap: ConfState(voters: [1, 2, 3])))
            })
        c.elect(1)
        c.isolate(3)
        for i in 0..<5 { try c[1].node.propose(bytes("e\(i)")) }
        c.stabilize()
        c[1].compact(through: c[1].appliedIndex)
        try c[1].node.propose(bytes("after"))
        c.stabilize()
        c.heal()
        _ = c.takeDelivered()
        c.tick(1)
        c.stabilize()
        let snapshots = c.takeDelivered().filter { if case .snapshot = $0.kind { return true } else { return false } }
        #expect(snapshots.map(\.to) == [3])
        #expect(c[3].storage.currentSnapshot.index == c[1].storage.currentSnapshot.index)
        #expect(c[3].appliedData == ["after"], "entries after the snapshot follow it")
        #expect(c[3].commit == c[1].commit)
    }

    @Test("§7: if the snapshot describes entries the follower already has, it keeps the entries following it")
    func snapshotCoveredByLog() {
        var a = member(1, voters: [1, 2], logTerms: [1, 1, 1, 1], term: 1)
        a.node.step(
            message(2, 1, term: 1, .snapshot(Snapshot(index: 2, term: 1, confState: ConfState(voters: [1, 2])))))
        let ready = a.node.ready()
        #expect(ready.snapshot == nil)
        #expect(a.node.hardState.commit == 2)
        #expect(a.node.status.lastIndex == 4)
        #expect(ready.persistedMessages.map(\.kind) == [.appendResponse(index: 2, rejection: nil)])
    }

    @Test(
        """
        §7: if the snapshot contains new information not already in the follower's log, the follower discards \
        its entire log
        """
    )
    func snapshotReplacesLog() {
        var a = member(1, voters: [1, 2], logTerms: [1, 1, 1], term: 2)
        let snapshot = Snapshot(index: 5, term: 2, confState: ConfState(voters: [1, 2, 3]), data: bytes("state"))
        a.node.step(message(2, 1, term: 2, .snapshot(snapshot)))
        let ready = a.node.ready()
        #expect(ready.snapshot == snapshot)
        #expect(ready.hardState?.commit == 5)
        #expect(ready.committedEntries.isEmpty)
        a.write(ready)
        a.node.persisted(through: ready.number)
        #expect(ready.persistedMessages.map(\.kind) == [.appendResponse(index: 5, rejection: nil)])
        #expect(a.node.status.firstIndex == 6)
        #expect(a.node.status.applied == 5)
        #expect(a.node.confState == ConfState(voters: [1, 2, 3]), "the membership comes with the snapshot")
    }

    @Test("a snapshot at or below the commit index is ignored")
    func staleSnapshotIgnored() throws {
        var c = TestCluster(voters: 2)
        c.elect(1)
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        c[2].node.step(
            message(1, 2, term: 1, .snapshot(Snapshot(index: 1, term: 1, confState: ConfState(voters: [1, 2])))))
        let ready = c[2].node.ready()
        #expect(ready.snapshot == nil)
        #expect(ready.persistedMessages.map(\.kind) == [.appendResponse(index: 2, rejection: nil)])
    }

    @Test("a failed snapshot send is retried after the member answers")
    func failedSnapshotIsRetried() throws {
        let voters: [NodeID] = [1, 2, 3]
        var c = TestCluster(
            members: voters.map { TestMember(id: $0, storage: MemoryStorage(bootstrap: ConfState(voters: voters))) })
        c.elect(1)
        c.isolate(3)
        try c[1].node.propose(bytes("x"))
        c.stabilize()
        c[1].compact(through: c[1].appliedIndex)
        c.heal()
        c.tick(1)
        var dropped = 0
        for _ in 0..<20 {
            for id in c.ids where c[id].node.hasReady {
                for message in c[id].handleReady().messages {
                    if case .snapshot = message.kind {
                        dropped += 1
                    } else {
                        c.deliver(message)
                    }
                }
            }
        }
        #expect(dropped == 1)
        guard case .snapshot? = c[1].node.status.progress[3]?.state else {
            Issue.record("member 3 is not waiting for a snapshot")
            return
        }
        c[1].node.reportSnapshot(to: 3, succeeded: false)
        #expect(c[1].node.status.progress[3]?.state == .probe)
        c.tick(1)
        c.stabilize()
        #expect(c[3].commit == c[1].commit)
        #expect(c[3].storage.currentSnapshot.index == c[1].storage.currentSnapshot.index)
    }
}
