import Foundation
import StoreClient
import Synchronization
import Testing

extension ClusterTests {
    /// The runbook for a member that is gone for good, done with etcdctl while a client keeps writing: add a
    /// learner, let it catch up (by snapshot: the leader keeps only 10 entries behind its last snapshot),
    /// promote it, remove the dead member. No acknowledged write may be lost, and the three live members end
    /// with the same key space.
    ///
    /// etcd 3.4 with its default `--strict-reconfig-check` refuses the `member add` while a voting member is
    /// down ("etcdserver: unhealthy cluster"), so there the dead member has to be removed first; keel has no
    /// such check and takes the learner at once.
    @Test(
        "replacing a SIGKILLed member (learner, snapshot, promote, remove) under writes loses no write",
        .enabled(if: Etcdctl.isInstalled, "etcdctl is not installed"),
        .timeLimit(.minutes(2)))
    func replaceDeadMemberUnderWrites() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let started = ContinuousClock.now
        let options = ProcessCluster.Options(
            snapshotCount: 100, extraArguments: ["--experimental-snapshot-catchup-entries", "10"])
        try await ProcessCluster.with(options: options) { cluster in
            let leader = try await cluster.waitForLeader()
            try await cluster.waitForPublishedMembers()
            let dead = (leader + 1) % cluster.members.count
            let live = cluster.members.indices.filter { $0 != dead }
            let liveEndpoints = live.map { cluster.members[$0].endpoint }
            let ids = try await ReplacementStep.memberIDs(endpoints: cluster.endpoints)
            let deadID = try #require(ids[cluster.members[dead].name], "member ids: \(ids)")

            let log = AcknowledgedWrites()
            let writer = Task {
                await ReplacementStep.write(
                    through: cluster.endpoints, upTo: 1_500, within: .seconds(30), recording: log)
            }
            defer { writer.cancel() }

            // Enough writes that the leader's log has been cut after a snapshot, so m4 cannot start from it.
            let warmedUp = await eventually(within: .seconds(15)) { log.count >= 250 }
            try #require(warmedUp, "writes acknowledged before the replacement: \(log.count)")
            await cluster.kill(dead)
            let writtenBeforeKill = log.count

            let m4 = try cluster.spareMember(name: "m4")
            let add = try await Etcdctl.run(
                ["member", "add", m4.name, "--peer-urls=\(m4.peerURL)", "--learner"], endpoints: liveEndpoints)
            try #require(add.succeeded, "member add: \(add)")
            // etcdctl prints the id with %16x: padded with spaces when its hex has fewer than 16 digits.
            let newID = try #require(
                add.output.firstMatch(of: /Member +([0-9a-f]+) added to cluster/).map { String($0.1) }, "\(add)")
            let initialCluster = (cluster.members + [m4]).map { "\($0.name)=\($0.peerURL)" }
                .joined(separator: ",")
            _ = try cluster.startJoining(m4, initialCluster: initialCluster)

            let m4Log = { (try? String(contentsOf: m4.logFile, encoding: .utf8)) ?? "" }
            let m4Tail = { m4Log().split(separator: "\n").suffix(30).joined(separator: "\n") }
            let installed = await eventually(within: .seconds(20)) { m4Log().contains("installed a snapshot") }
            #expect(installed, "m4 caught up by installing a snapshot; its log ends:\n\(m4Tail())")

            // To the leader, which alone knows how far the learner's log has come.
            let leaderEndpoint = [cluster.members[try await cluster.waitForLeader(among: live)].endpoint]
            let promote = try await ReplacementStep.promote(newID, endpoints: leaderEndpoint, within: .seconds(20))
            #expect(promote.succeeded, "member promote: \(promote)\nm4's log ends:\n\(m4Tail())")
            let remove = try await Etcdctl.run(["member", "remove", deadID], endpoints: liveEndpoints)
            #expect(remove.succeeded, "member remove: \(remove)")
            let writtenBeforeRemoval = log.count

            writer.cancel()
            let acknowledged = await writer.value
            #expect(
                writtenBeforeRemoval > writtenBeforeKill,
                "writes acknowledged while the member was replaced: \(writtenBeforeRemoval - writtenBeforeKill)")

            // Linearizably, through the live members: every acknowledged key with its value.
            let finalEndpoints = liveEndpoints + [m4.endpoint]
            let stored = try await withClusterClient(endpoints: finalEndpoints) { client in
                try await client.range(.prefix(bytes(ReplacementStep.prefix)))
            }
            let values = Dictionary(uniqueKeysWithValues: stored.kvs.map { ($0.key, $0.string) })
            let lost = acknowledged.filter { values[bytes(ReplacementStep.key($0))] != ReplacementStep.value($0) }
            #expect(lost.isEmpty, "acknowledged writes missing or wrong: \(lost.prefix(20)) of \(acknowledged.count)")

            // From m4's own state, once it has applied everything.
            var onM4: [Int] = acknowledged
            let complete = await eventually(within: .seconds(10)) {
                let local = try await withClusterClient(endpoints: [m4.endpoint]) { client in
                    try await client.range(
                        .prefix(bytes(ReplacementStep.prefix)), options: RangeOptions(serializable: true))
                }
                let localValues = Dictionary(uniqueKeysWithValues: local.kvs.map { ($0.key, $0.string) })
                onM4 = acknowledged.filter { localValues[bytes(ReplacementStep.key($0))] != ReplacementStep.value($0) }
                return onM4.isEmpty
            }
            #expect(complete, "acknowledged writes m4 does not hold (serializable): \(onM4.prefix(20))")

            // m4 is listed by name once it has published it through the log, a moment after it started.
            let expectedNames = Set(live.map { cluster.members[$0].name } + [m4.name])
            var list: [ReplacementStep.MemberEntry] = []
            let listed = await eventually(within: .seconds(5)) {
                list = try await ReplacementStep.members(endpoints: finalEndpoints)
                return Set(list.map(\.name)) == expectedNames && list.count == 3
            }
            #expect(listed, "member list: \(list)")
            #expect(list.first { $0.name == m4.name }?.isLearner == false, "m4 is a voter: \(list)")

            // The same key space on the three live members at one revision.
            let revision = stored.header.revision
            var hashes: [String: UInt32] = [:]
            for endpoint in finalEndpoints {
                hashes[endpoint] = try await ReplacementStep.hashKV(revision: revision, endpoint: endpoint)
            }
            #expect(Set(hashes.values).count == 1, "HashKV at revision \(revision): \(hashes)")
        }
        #expect(ContinuousClock.now - started < .seconds(90), "the replacement took \(ContinuousClock.now - started)")
    }
}

/// The keys a writer has had acknowledged, readable while it writes.
private final class AcknowledgedWrites: Sendable {
    private let keys = Mutex<[Int]>([])

    var count: Int { keys.withLock { $0.count } }

    func append(_ index: Int) { keys.withLock { $0.append(index) } }
}

/// The steps of the replacement and the writer beside them.
private enum ReplacementStep {
    static let prefix = "replace/"

    static func key(_ index: Int) -> String { prefix + String(format: "%05d", index) }
    static func value(_ index: Int) -> String { "value-\(index)" }

    /// Puts distinct keys one after the other through a client of `endpoints`, each tried again (on whichever
    /// member answers) until it is acknowledged, until `limit` keys are written, `within` passes or the task is
    /// cancelled. The indices of the acknowledged keys, in order.
    static func write(
        through endpoints: [String], upTo limit: Int, within duration: Duration, recording log: AcknowledgedWrites
    ) async -> [Int] {
        let deadline = ContinuousClock.now + duration
        var acknowledged: [Int] = []
        _ = try? await withClusterClient(endpoints: endpoints) { client in
            writing: for index in 0..<limit {
                while true {
                    if Task.isCancelled || ContinuousClock.now >= deadline { break writing }
                    do {
                        try await client.put(bytes(key(index)), bytes(value(index)))
                        acknowledged.append(index)
                        log.append(index)
                        break
                    } catch {
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
                // About 50 writes a second, so that writes go on for the whole replacement.
                try? await Task.sleep(for: .milliseconds(15))
            }
        }
        return acknowledged
    }

    struct MemberEntry: Sendable, CustomStringConvertible {
        var id: String
        var name: String
        var isLearner: Bool

        var description: String { "\(name) (\(id))\(isLearner ? " learner" : "")" }
    }

    /// `etcdctl member list` in its simple form, whose lines are `id, status, name, peer URLs, client URLs,
    /// is learner` with the id in hex as etcdctl's member commands take it (JSON would give it as a number
    /// beyond what a Double holds exactly).
    static func members(endpoints: [String]) async throws -> [MemberEntry] {
        let outcome = try await Etcdctl.run(["member", "list"], endpoints: endpoints)
        guard outcome.succeeded else { throw ReplacementError.unreadable("member list", outcome.description) }
        return try outcome.lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 6 else { throw ReplacementError.unreadable("member list", outcome.description) }
            return MemberEntry(id: fields[0], name: fields[2], isLearner: fields[5] == "true")
        }
    }

    /// Each member's id in hex, by name.
    static func memberIDs(endpoints: [String]) async throws -> [String: String] {
        Dictionary(try await members(endpoints: endpoints).map { ($0.name, $0.id) }) { first, _ in first }
    }

    /// `member promote`, tried again while the learner is not yet in sync with the leader (or the request
    /// fails otherwise), for at most `limit`. The last attempt's outcome.
    static func promote(_ id: String, endpoints: [String], within limit: Duration) async throws -> Etcdctl.Outcome {
        let deadline = ContinuousClock.now + limit
        while true {
            let outcome = try await Etcdctl.run(["member", "promote", id], endpoints: endpoints)
            if outcome.succeeded || ContinuousClock.now >= deadline { return outcome }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The member at `endpoint`'s hash of the key space at `revision`, retried until it has applied that
    /// revision, for at most 10 s.
    static func hashKV(revision: Int64, endpoint: String) async throws -> UInt32 {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                return try await withClusterClient(endpoints: [endpoint]) { client in
                    try await client.hashKV(revision: revision, of: client.endpoints[0]).hash
                }
            } catch {
                if ContinuousClock.now >= deadline { throw error }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    enum ReplacementError: Error, CustomStringConvertible {
        case unreadable(String, String)

        var description: String {
            switch self {
            case .unreadable(let what, let output): return "\(what) unreadable: \(output)"
            }
        }
    }
}
