import EtcdAPI
import GRPCCore

extension StoreClient {
    /// Every endpoint's status, in the order of ``endpoints``, asked concurrently. What the answers say
    /// about the leader is remembered, so that writes go to it.
    public func status() async -> [(endpoint: Endpoint, result: Result<EndpointStatus, StoreClientError>)] {
        await withTaskGroup(of: (Int, Result<EndpointStatus, StoreClientError>).self) { group in
            for index in pool.members.indices {
                group.addTask {
                    do throws(StoreClientError) {
                        return (index, .success(try await self.status(ofEndpointAt: index)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var results: [Result<EndpointStatus, StoreClientError>?] = Array(repeating: nil, count: pool.count)
            for await (index, result) in group { results[index] = result }
            return zip(pool.members, results).map { member, result in
                (member.endpoint, result ?? .failure(StoreClientError.closedClient))
            }
        }
    }

    /// The status of one endpoint (which must be one of ``endpoints``), without failover.
    public func status(of endpoint: Endpoint) async throws(StoreClientError) -> EndpointStatus {
        guard let index = pool.members.firstIndex(where: { $0.endpoint == endpoint }) else {
            throw StoreClientError(code: .invalidEndpoint, message: "\(endpoint) is not one of the client's endpoints")
        }
        return try await status(ofEndpointAt: index)
    }

    /// The endpoint that leads, found by asking every endpoint's status; `nil` if none says.
    public func leaderEndpoint() async -> Endpoint? {
        await searchForLeader()
        return pool.leader.map { pool.members[$0].endpoint }
    }

    /// Asks every endpoint's status at once and stops as soon as the leader's endpoint is known, so that
    /// an endpoint that does not answer delays nothing once the others have.
    func searchForLeader() async {
        await withTaskGroup(of: Void.self) { group in
            for index in pool.members.indices {
                group.addTask { _ = try? await self.status(ofEndpointAt: index) }
            }
            while await group.next() != nil {
                if pool.leader != nil {
                    group.cancelAll()
                    break
                }
            }
        }
        if let leader = pool.leader {
            logger.debug("leader found", metadata: ["endpoint": "\(pool.members[leader].endpoint)"])
        }
    }

    private func status(ofEndpointAt index: Int) async throws(StoreClientError) -> EndpointStatus {
        let member = pool.members[index]
        let status = try await single(member) { connection, options in
            EndpointStatus(
                try await Etcdserverpb_Maintenance.Client(wrapping: connection)
                    .status(Etcdserverpb_StatusRequest(), options: options),
                endpoint: member.endpoint)
        }
        pool.record(memberID: status.header.memberID, leaderID: status.leader, at: index)
        return status
    }

    /// The cluster's members. `linearizable` makes the answer reflect every change committed before it.
    public func memberList(linearizable: Bool = false) async throws(StoreClientError) -> MemberList {
        var request = Etcdserverpb_MemberListRequest()
        request.linearizable = linearizable
        return try await perform(.safe) { [request] connection, options, _ in
            MemberList(
                try await Etcdserverpb_Cluster.Client(wrapping: connection).memberList(request, options: options))
        }
    }

    /// The hash of the key space up to `revision` (0: the latest) on whichever endpoint answers.
    public func hashKV(revision: Int64 = 0) async throws(StoreClientError) -> HashKV {
        var request = Etcdserverpb_HashKVRequest()
        request.revision = revision
        return try await perform(.safe) { [request] connection, options, endpoint in
            HashKV(
                try await Etcdserverpb_Maintenance.Client(wrapping: connection).hashKV(request, options: options),
                endpoint: endpoint)
        }
    }

    /// The hash of the key space up to `revision` on one endpoint, to compare members with each other.
    public func hashKV(revision: Int64 = 0, of endpoint: Endpoint) async throws(StoreClientError) -> HashKV {
        guard let member = pool.members.first(where: { $0.endpoint == endpoint }) else {
            throw StoreClientError(code: .invalidEndpoint, message: "\(endpoint) is not one of the client's endpoints")
        }
        var request = Etcdserverpb_HashKVRequest()
        request.revision = revision
        return try await single(member) { [request] connection, options in
            HashKV(
                try await Etcdserverpb_Maintenance.Client(wrapping: connection).hashKV(request, options: options),
                endpoint: endpoint)
        }
    }

    /// The alarms raised in the cluster.
    public func alarms() async throws(StoreClientError) -> [Alarm] {
        var request = Etcdserverpb_AlarmRequest()
        request.action = .get
        return try await perform(.safe) { [request] connection, options, _ in
            try await Etcdserverpb_Maintenance.Client(wrapping: connection).alarm(request, options: options)
                .alarms.map(Alarm.init)
        }
    }

    /// One attempt on one endpoint, bounded by the dial and request timeouts.
    private func single<Result: Sendable>(
        _ member: EndpointPool.Member,
        _ body: @escaping @Sendable (EndpointConnection, CallOptions) async throws -> Result
    ) async throws(StoreClientError) -> Result {
        guard !isClosed else { throw StoreClientError.closedClient }
        let progress = CallProgress()
        let options = unaryOptions
        do {
            return try await CallProgressInterceptor.$current.withValue(progress) {
                try await withDialTimeout(configuration.dialTimeout, progress) { try await body(member.grpc, options) }
            }
        } catch {
            throw classify(error, endpoint: member.endpoint, opened: progress.isOpened).failure
        }
    }
}
