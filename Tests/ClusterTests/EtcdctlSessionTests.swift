import Foundation
import Testing

extension ClusterTests {
    @Test(
        "etcdctl 3.4 against three members: put, get, del, txn, watch, lease keep-alive, endpoint status and health",
        .timeLimit(.minutes(1)))
    func etcdctlSession() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        try #require(Etcdctl.isInstalled, "etcdctl is not installed")
        try await ProcessCluster.with { cluster in
            try await cluster.waitForLeader()
            try await cluster.waitForPublishedMembers()
            let endpoints = cluster.endpoints
            func etcdctl(_ arguments: String..., input: String? = nil) async throws -> Etcdctl.Outcome {
                let outcome = try await Etcdctl.run(arguments, endpoints: endpoints, input: input)
                #expect(outcome.succeeded, "etcdctl \(arguments.joined(separator: " ")): \(outcome)")
                return outcome
            }

            #expect(try await etcdctl("put", "k1", "v1").lines == ["OK"])
            #expect(try await etcdctl("get", "k1").lines == ["k1", "v1"])

            let txn = try await etcdctl(
                "txn", "--interactive=false", input: "value(\"k1\") = \"v1\"\n\nput k1 v2\n\nput k1 v3\n\n")
            #expect(txn.lines == ["SUCCESS", "OK"])
            #expect(try await etcdctl("get", "k1", "--print-value-only").lines == ["v2"])

            #expect(try await etcdctl("del", "k1").lines == ["1"])
            #expect(try await etcdctl("get", "k1").lines == [])

            // The watch starts from the next revision, so the event cannot slip past before the watch is set up.
            let header = try await etcdctl("get", "k1", "-w", "json")
            let revision = try Self.headerRevision(header.output)
            let watch = try Etcdctl.start(["watch", "w1", "--rev=\(revision + 1)"], endpoints: endpoints)
            defer { watch.cleanUp() }
            _ = try await etcdctl("put", "w1", "seen")
            let watched = await watch.output(within: .seconds(10)) { $0.contains("PUT\nw1\nseen") }
            #expect(watched.contains("PUT\nw1\nseen"), "watch output: \(watched)")
            watch.cleanUp()

            let grant = try await etcdctl("lease", "grant", "60")
            let lease = try #require(
                grant.output.firstMatch(of: /lease ([0-9a-f]+) granted with TTL\(60s\)/)?.1, "\(grant)")
            let keepAlive = try await etcdctl("lease", "keep-alive", "--once", String(lease))
            #expect(keepAlive.output.contains("lease \(lease) keepalived with TTL("), "\(keepAlive)")
            _ = try await etcdctl("put", "leased", "x", "--lease=\(lease)")

            // Simple output: endpoint, ID, version, DB size, is leader, is learner, term, index, applied, errors.
            let status = try await etcdctl("endpoint", "status", "--cluster")
            #expect(status.lines.count == 3, "\(status)")
            let leaders = status.lines.filter { line in
                line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.dropFirst(4).first == "true"
            }
            #expect(leaders.count == 1, "\(status)")

            let health = try await etcdctl("endpoint", "health", "--cluster")
            let healthy = (health.output + health.errors).split(separator: "\n").filter { $0.contains("is healthy") }
            #expect(healthy.count == 3, "\(health)")
        }
    }

    static func headerRevision(_ json: String) throws -> Int64 {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let header = object?["header"] as? [String: Any]
        return (header?["revision"] as? NSNumber)?.int64Value ?? 0
    }
}
