import EtcdAPI
import GRPCCore

extension StoreClient {
    /// Grants a lease of `ttl` seconds; with `id`, under that identifier (which must be free).
    public func grant(ttl: Int64, id: LeaseID? = nil) async throws(StoreClientError) -> LeaseGrant {
        var request = Etcdserverpb_LeaseGrantRequest()
        request.ttl = ttl
        request.id = id?.rawValue ?? 0
        return try await perform(.unsafe) { [request] connection, options, _ in
            LeaseGrant(try await Etcdserverpb_Lease.Client(wrapping: connection).leaseGrant(request, options: options))
        }
    }

    /// Revokes a lease, deleting every key attached to it.
    @discardableResult
    public func revoke(_ lease: LeaseID) async throws(StoreClientError) -> ResponseHeader {
        var request = Etcdserverpb_LeaseRevokeRequest()
        request.id = lease.rawValue
        return try await perform(.unsafe) { [request] connection, options, _ in
            ResponseHeader(
                try await Etcdserverpb_Lease.Client(wrapping: connection).leaseRevoke(request, options: options).header)
        }
    }

    /// The lease's remaining and granted TTL (and its keys, if asked for); `nil` when no such lease exists.
    public func timeToLive(_ lease: LeaseID, keys: Bool = false) async throws(StoreClientError) -> LeaseTimeToLive? {
        var request = Etcdserverpb_LeaseTimeToLiveRequest()
        request.id = lease.rawValue
        request.keys = keys
        let answer = try await perform(.safe) { [request] connection, options, _ in
            LeaseTimeToLive(
                try await Etcdserverpb_Lease.Client(wrapping: connection).leaseTimeToLive(request, options: options))
        }
        // etcd answers an unknown lease with TTL -1 rather than an error.
        return answer.ttl < 0 ? nil : answer
    }

    /// Every live lease.
    public func leases() async throws(StoreClientError) -> [LeaseID] {
        try await perform(.safe) { connection, options, _ in
            try await Etcdserverpb_Lease.Client(wrapping: connection)
                .leaseLeases(Etcdserverpb_LeaseLeasesRequest(), options: options)
                .leases.map { LeaseID(rawValue: $0.id) }
        }
    }

    /// Renews a lease once. Fails with ``StoreClientError/Code/leaseNotFound`` if it has expired.
    public func keepAliveOnce(_ lease: LeaseID) async throws(StoreClientError) -> LeaseRenewal {
        var request = Etcdserverpb_LeaseKeepAliveRequest()
        request.id = lease.rawValue
        let renewal = try await perform(.safe) { [request] connection, options, _ in
            try await Etcdserverpb_Lease.Client(wrapping: connection).leaseKeepAlive(
                options: options,
                requestProducer: { writer in try await writer.write(request) },
                onResponse: { response in
                    for try await message in response.messages { return LeaseRenewal(message) }
                    throw RPCError(code: .unavailable, message: "the stream ended before an answer")
                })
        }
        guard renewal.ttl > 0 else { throw StoreClientError.leaseNotFound(lease) }
        return renewal
    }

    /// Keeps `lease` alive in the background, renewing it every third of its TTL through whichever endpoint
    /// answers, until the returned handle is cancelled, the client is closed, or the lease is lost.
    public func keepAlive(_ lease: LeaseID) -> LeaseKeepAlive {
        let handle = LeaseKeepAlive(lease: lease)
        let task = startBackgroundTask { [self] in
            do {
                try await self.runKeepAlive(lease) { handle.renewed($0) }
                handle.finish(nil)
            } catch {
                handle.finish(error)
            }
        }
        if let task {
            handle.attach(task)
        } else {
            handle.finish(StoreClientError.closedClient)
        }
        return handle
    }
}

extension StoreClientError {
    static func leaseNotFound(_ lease: LeaseID) -> StoreClientError {
        StoreClientError(code: .leaseNotFound, message: "etcdserver: requested lease not found (\(lease))")
    }
}
