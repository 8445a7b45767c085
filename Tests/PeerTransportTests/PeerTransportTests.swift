import PeerTransport
import Raft
import Testing

@Suite("Peer transport over TCP on 127.0.0.1", .serialized, .timeLimit(.minutes(2)))
struct PeerTransportTests {
    /// Room for a whole test's traffic, so that only the behaviour under test drops anything.
    static var roomyLimits: PeerTransportLimits {
        var limits = PeerTransportLimits()
        limits.maxQueuedEnvelopes = 100_000
        return limits
    }

    func connect(_ members: [TestMember]) {
        for member in members {
            var peers: [NodeID: [String]] = [:]
            for other in members { peers[other.id] = [other.url] }
            member.transport.setPeers(peers)
        }
    }

    func shutdown(_ members: [TestMember]) async {
        for member in members { await member.transport.shutdown() }
    }

    @Test("two members exchange 10,000 messages each, in order, in batches")
    func twoMembers() async throws {
        let a = try await TestMember.start(id: 1, limits: Self.roomyLimits)
        let b = try await TestMember.start(id: 2, limits: Self.roomyLimits)
        connect([a, b])
        let count = 10_000
        for start in stride(from: 0, to: count, by: 100) {
            a.transport.send((start..<start + 100).map { append(from: 1, to: 2, index: LogIndex($0)) })
            b.transport.send((start..<start + 100).map { append(from: 2, to: 1, index: LogIndex($0)) })
        }
        a.transport.send([.application(kind: 4, payload: Array("lease 17".utf8), from: 1, to: 2)])
        let done = await eventually { a.recorder.count == count && b.recorder.count == count + 1 }
        #expect(done, "received \(a.recorder.count) and \(b.recorder.count)")
        #expect(a.recorder.appendIndexes(from: 2) == (0..<count).map { LogIndex($0) })
        #expect(b.recorder.appendIndexes(from: 1) == (0..<count).map { LogIndex($0) })
        #expect(
            b.recorder.deliveries.last?.envelope
                == .application(kind: 4, payload: Array("lease 17".utf8), from: 1, to: 2)
        )
        #expect(b.recorder.batches < count, "deliveries are batched per read, \(b.recorder.batches) batches")
        #expect(a.recorder.reports.isEmpty && b.recorder.reports.isEmpty)
        await shutdown([a, b])
    }

    @Test("three members each send 10,000 messages to both others, in order per sender")
    func threeMembers() async throws {
        var members: [TestMember] = []
        for id in 1...3 { members.append(try await TestMember.start(id: NodeID(id), limits: Self.roomyLimits)) }
        connect(members)
        let count = 10_000
        for start in stride(from: 0, to: count, by: 50) {
            for sender in members {
                // One call carries envelopes for both destinations; the transport splits them.
                var envelopes: [PeerEnvelope] = []
                for index in start..<start + 50 {
                    for receiver in members where receiver.id != sender.id {
                        envelopes.append(append(from: sender.id, to: receiver.id, index: LogIndex(index)))
                    }
                }
                sender.transport.send(envelopes)
            }
        }
        let done = await eventually { members.allSatisfy { $0.recorder.count == 2 * count } }
        #expect(done, "received \(members.map(\.recorder.count))")
        for receiver in members {
            for sender in members where sender.id != receiver.id {
                #expect(receiver.recorder.appendIndexes(from: sender.id) == (0..<count).map { LogIndex($0) })
            }
        }
        await shutdown(members)
    }

    @Test("a peer that starts later receives messages once the sender has reconnected")
    func peerStartsLater() async throws {
        let port = try await closedPort()
        let a = try await TestMember.start(id: 1)
        a.transport.setPeers([2: ["http://127.0.0.1:\(port)"]])
        for index in 0..<20 {
            a.transport.send([heartbeat(from: 1, to: 2, commit: LogIndex(index))])
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await eventually { a.recorder.reports.contains(.unreachable(2)) }, "sends to a down peer are reported")
        let unreachableReports = a.recorder.reports.count { $0 == .unreachable(2) }
        #expect(unreachableReports <= 6, "reports are rate-limited: \(unreachableReports) in 200 ms")

        let b = try await TestMember.start(id: 2, port: port)
        var sent = 0
        let received = await eventually(timeout: .seconds(15)) {
            sent += 1
            a.transport.send([heartbeat(from: 1, to: 2, commit: 1000 + LogIndex(sent))])
            return b.recorder.count > 0
        }
        #expect(received)
        await shutdown([a, b])
    }

    @Test("a peer shut down and restarted on the same port is reconnected to")
    func peerRestarts() async throws {
        let a = try await TestMember.start(id: 1)
        var b = try await TestMember.start(id: 2)
        let port = b.transport.boundPort
        connect([a, b])
        a.transport.send([heartbeat(from: 1, to: 2, commit: 1)])
        #expect(await eventually { b.recorder.count == 1 })

        await b.transport.shutdown()
        for index in 0..<10 {
            a.transport.send([heartbeat(from: 1, to: 2, commit: 2 + LogIndex(index))])
            try await Task.sleep(for: .milliseconds(20))
        }
        b = try await TestMember.start(id: 2, port: port)
        let restarted = b
        var sent = 0
        let received = await eventually(timeout: .seconds(15)) {
            sent += 1
            a.transport.send([heartbeat(from: 1, to: 2, commit: 100 + LogIndex(sent))])
            return restarted.recorder.count > 0
        }
        #expect(received)
        await shutdown([a, b])
    }

    /// Limits with a back-off far longer than a test waits: after a failed attempt, only the peer's own
    /// connection can bring the link up within the test.
    static var slowBackoffLimits: PeerTransportLimits {
        var slow = roomyLimits
        slow.initialBackoff = .seconds(30)
        slow.maxBackoff = .seconds(30)
        return slow
    }

    /// Member 1 with `slowBackoffLimits`, told that member 2 is at a port where nothing listens.
    private func memberWithUnreachablePeer() async throws -> (member: TestMember, port: Int) {
        let port = try await closedPort()
        let a = try await TestMember.start(id: 1, limits: Self.slowBackoffLimits)
        a.transport.setPeers([2: ["http://127.0.0.1:\(port)"]])
        return (a, port)
    }

    @Test("a peer that restarts and connects is reached at once, not after the sender's back-off")
    func restartedPeerConnectsFirst() async throws {
        let (a, port) = try await memberWithUnreachablePeer()
        a.transport.send([heartbeat(from: 1, to: 2, commit: 1)])
        #expect(await eventually { a.recorder.reports.contains(.unreachable(2)) }, "the first attempt failed")

        let b = try await TestMember.start(id: 2, port: port, limits: Self.slowBackoffLimits)
        b.transport.setPeers([1: [a.url]])
        b.transport.send([heartbeat(from: 2, to: 1, commit: 1)])
        #expect(await eventually(timeout: .seconds(10)) { a.recorder.count > 0 }, "b reached a")
        var sent = 0
        let received = await eventually(timeout: .seconds(10)) {
            sent += 1
            a.transport.send([heartbeat(from: 1, to: 2, commit: 100 + LogIndex(sent))])
            return b.recorder.count > 0
        }
        #expect(received, "a reconnected to b as soon as b connected to a")
        await shutdown([a, b])
    }

    @Test("a message queued while a failed peer's back-off runs is reported unreachable at once")
    func queuedDuringBackoffIsReported() async throws {
        let (a, _) = try await memberWithUnreachablePeer()
        // The first attempt fails with nothing queued, so it has nothing to report.
        try await Task.sleep(for: .milliseconds(300))
        #expect(!a.recorder.reports.contains(.unreachable(2)))
        a.transport.send([heartbeat(from: 1, to: 2, commit: 1)])
        #expect(
            await eventually(timeout: .seconds(5)) { a.recorder.reports.contains(.unreachable(2)) },
            "reported without waiting 30 s for the next attempt")
        await shutdown([a])
    }

    @Test("a 50 MiB snapshot is delivered on its own connection while heartbeats keep flowing")
    func snapshotBesideHeartbeats() async throws {
        let a = try await TestMember.start(id: 1)
        let b = try await TestMember.start(id: 2)
        connect([a, b])

        let heartbeats = Task {
            var commit: LogIndex = 0
            while !Task.isCancelled && commit < 100_000 {
                commit += 1
                a.transport.send([heartbeat(from: 1, to: 2, commit: commit)])
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        #expect(await eventually { b.recorder.count > 0 }, "heartbeats flow before the snapshot")

        var random = TestRandom(state: 50)
        var data = [UInt8](repeating: 0, count: 50 << 20)
        for index in stride(from: 0, to: data.count, by: 4096) {
            data[index] = UInt8(truncatingIfNeeded: random.next())
        }
        let snapshot = Snapshot(index: 500, term: 3, confState: ConfState(voters: [1, 2, 3]), data: data)
        let sentAt = ContinuousClock.now
        a.transport.send([.raft(Message(from: 1, to: 2, term: 3, kind: .snapshot(snapshot)))])

        let acknowledged = await eventually(timeout: .seconds(60)) {
            a.recorder.reports.contains(.snapshot(to: 2, succeeded: true))
        }
        heartbeats.cancel()
        await heartbeats.value
        #expect(acknowledged, "reports: \(a.recorder.reports)")

        let deliveries = b.recorder.deliveries
        let snapshotDelivery = deliveries.first { $0.envelope.isSnapshot }
        #expect(snapshotDelivery?.envelope == .raft(Message(from: 1, to: 2, term: 3, kind: .snapshot(snapshot))))
        if let snapshotDelivery {
            let during = deliveries.filter { !$0.envelope.isSnapshot && $0.at > sentAt && $0.at < snapshotDelivery.at }
            let transfer = snapshotDelivery.at - sentAt
            #expect(during.count >= 2, "\(during.count) heartbeats arrived during the \(transfer) transfer")
        }
        #expect(!a.recorder.reports.contains(.unreachable(2)))
        await shutdown([a, b])
    }

    @Test("a connection from another cluster is refused")
    func wrongCluster() async throws {
        let a = try await TestMember.start(id: 1, clusterID: 7)
        let b = try await TestMember.start(id: 2, clusterID: 8)
        connect([a, b])
        for index in 0..<50 {
            a.transport.send([heartbeat(from: 1, to: 2, commit: LogIndex(index))])
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await eventually { a.recorder.reports.contains(.unreachable(2)) })
        #expect(b.recorder.count == 0, "nothing from another cluster is delivered")

        // A snapshot is refused too, and its failure reported.
        a.transport.send([.raft(Message(from: 1, to: 2, term: 1, kind: .snapshot(Snapshot(index: 3, term: 1))))])
        #expect(await eventually { a.recorder.reports.contains(.snapshot(to: 2, succeeded: false)) })
        #expect(b.recorder.count == 0)
        await shutdown([a, b])
    }

    @Test("a joining member that does not know its cluster yet talks to it, then checks the id it learns")
    func joiningMember() async throws {
        let a = try await TestMember.start(id: 1, clusterID: 7)
        let joiner = try await TestMember.start(id: 3, clusterID: 0)
        connect([a, joiner])
        a.transport.send([heartbeat(from: 1, to: 3, commit: 1)])
        joiner.transport.send([heartbeat(from: 3, to: 1, commit: 1)])
        #expect(await eventually { a.recorder.count == 1 && joiner.recorder.count == 1 })

        joiner.transport.setClusterID(7)
        #expect(joiner.transport.clusterID == 7)
        let stranger = try await TestMember.start(id: 2, clusterID: 8)
        stranger.transport.setPeers([3: [joiner.url]])
        for index in 0..<30 {
            stranger.transport.send([heartbeat(from: 2, to: 3, commit: LogIndex(index))])
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await eventually { stranger.recorder.reports.contains(.unreachable(3)) })
        #expect(joiner.recorder.count(from: 2) == 0)
        await shutdown([a, joiner, stranger])
    }

    @Test("a connection meant for another member is refused")
    func wrongReceiver() async throws {
        let a = try await TestMember.start(id: 1)
        let b = try await TestMember.start(id: 2)
        // Member 1 believes member 3 lives at b's address.
        a.transport.setPeers([3: [b.url]])
        for index in 0..<30 {
            a.transport.send([heartbeat(from: 1, to: 3, commit: LogIndex(index))])
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await eventually { a.recorder.reports.contains(.unreachable(3)) })
        #expect(b.recorder.count == 0)
        await shutdown([a, b])
    }

    @Test("a removed peer is sent nothing more")
    func removePeer() async throws {
        let a = try await TestMember.start(id: 1)
        let b = try await TestMember.start(id: 2)
        connect([a, b])
        a.transport.send((0..<10).map { append(from: 1, to: 2, index: LogIndex($0)) })
        #expect(await eventually { b.recorder.count == 10 })

        a.transport.setPeers([:])
        a.transport.send((10..<20).map { append(from: 1, to: 2, index: LogIndex($0)) })
        a.transport.send([.raft(Message(from: 1, to: 2, term: 1, kind: .snapshot(Snapshot(index: 3, term: 1))))])
        #expect(await eventually { a.recorder.reports.contains(.snapshot(to: 2, succeeded: false)) })
        try await Task.sleep(for: .milliseconds(300))
        #expect(b.recorder.count == 10)

        // Added back, it is reachable again.
        a.transport.setPeers([2: [b.url]])
        a.transport.send([append(from: 1, to: 2, index: 20)])
        #expect(await eventually { b.recorder.count == 11 })
        #expect(b.recorder.appendIndexes(from: 1).last == 20)
        await shutdown([a, b])
    }

    @Test("a peer that accepts the connection but never answers the handshake is given up on and retried")
    func silentPeer() async throws {
        let silent = try SilentListener()
        var limits = PeerTransportLimits()
        limits.handshakeTimeout = .milliseconds(200)
        let a = try await TestMember.start(id: 1, limits: limits)
        a.transport.setPeers([2: ["http://127.0.0.1:\(silent.port)"]])
        let reported = await eventually(timeout: .seconds(10)) {
            a.transport.send([heartbeat(from: 1, to: 2, commit: 1)])
            return a.recorder.reports.contains(.unreachable(2))
        }
        #expect(reported, "envelopes held for a silent peer are dropped and reported")
        await a.transport.shutdown()
        _ = consume silent
    }

    @Test("a full queue drops envelopes and reports the peer unreachable, rate-limited")
    func queueBound() async throws {
        var limits = PeerTransportLimits()
        limits.maxQueuedEnvelopes = 10
        limits.initialBackoff = .seconds(1)
        let port = try await closedPort()
        let a = try await TestMember.start(id: 1, limits: limits)
        a.transport.setPeers([2: ["http://127.0.0.1:\(port)"], 3: ["not a url://x"]])
        for index in 0..<100 { a.transport.send([heartbeat(from: 1, to: 2, commit: LogIndex(index))]) }
        #expect(await eventually { a.recorder.reports.contains(.unreachable(2)) })
        #expect(a.recorder.reports.count { $0 == .unreachable(2) } <= 2)
        a.transport.send([heartbeat(from: 1, to: 9, commit: 1)])
        a.transport.send([heartbeat(from: 1, to: 3, commit: 1)])
        #expect(await eventually { a.recorder.reports.contains(.unreachable(3)) }, "a peer without a valid URL")
        await a.transport.shutdown()
    }

    @Test("a port already in use is reported as such")
    func portInUse() async throws {
        let a = try await TestMember.start(id: 1)
        await #expect(throws: PeerTransportError.addressInUse(host: "127.0.0.1", port: a.transport.boundPort)) {
            _ = try await TestMember.start(id: 2, port: a.transport.boundPort)
        }
        await a.transport.shutdown()
    }

    @Test("nothing is sent or delivered after shutdown, and shutdown may be repeated")
    func afterShutdown() async throws {
        let a = try await TestMember.start(id: 1)
        let b = try await TestMember.start(id: 2)
        connect([a, b])
        await a.transport.shutdown()
        a.transport.send([heartbeat(from: 1, to: 2, commit: 1)])
        a.transport.send([.raft(Message(from: 1, to: 2, term: 1, kind: .snapshot(Snapshot(index: 3, term: 1))))])
        a.transport.setPeers([2: [b.url]])
        #expect(a.recorder.reports == [.snapshot(to: 2, succeeded: false)])
        await a.transport.shutdown()
        await #expect(throws: PeerTransportError.self) { try await a.transport.start() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(b.recorder.count == 0)
        await b.transport.shutdown()
    }
}
