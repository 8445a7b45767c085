import EtcdAPI
import Foundation
import GRPCCore
import MVCC
import Store

/// etcd's `Lease` service: grant, revoke, keep-alive stream, time-to-live and list.
struct LeaseService: Etcdserverpb_Lease.SimpleServiceProtocol {
    let member: StoreMember
    let headers: ResponseHeaders

    func leaseGrant(
        request: Etcdserverpb_LeaseGrantRequest, context: ServerContext
    ) async throws -> Etcdserverpb_LeaseGrantResponse {
        do {
            let (id, ttl) = try await member.grantLease(id: request.id, ttl: request.ttl)
            var response = Etcdserverpb_LeaseGrantResponse()
            response.header = headers.header(revision: member.mvcc.currentRevision)
            response.id = id
            response.ttl = ttl
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func leaseRevoke(
        request: Etcdserverpb_LeaseRevokeRequest, context: ServerContext
    ) async throws -> Etcdserverpb_LeaseRevokeResponse {
        do {
            let result = try await member.propose(.leaseRevoke(id: request.id))
            var response = Etcdserverpb_LeaseRevokeResponse()
            response.header = headers.header(revision: result.revision)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func leaseKeepAlive(
        request: RPCAsyncSequence<Etcdserverpb_LeaseKeepAliveRequest, any Error>,
        response: RPCWriter<Etcdserverpb_LeaseKeepAliveResponse>,
        context: ServerContext
    ) async throws {
        for try await keepAlive in request {
            var reply = Etcdserverpb_LeaseKeepAliveResponse()
            reply.id = keepAlive.id
            // An unknown lease is answered with TTL 0 rather than an error, as etcd does.
            do {
                reply.ttl = try await member.renewLease(id: keepAlive.id) ?? 0
            } catch {
                throw EtcdError.from(error)
            }
            reply.header = headers.header(revision: member.mvcc.currentRevision)
            try await response.write(reply)
        }
    }

    func leaseTimeToLive(
        request: Etcdserverpb_LeaseTimeToLiveRequest, context: ServerContext
    ) async throws -> Etcdserverpb_LeaseTimeToLiveResponse {
        do {
            await member.awaitAnsweredWrites()
            var response = Etcdserverpb_LeaseTimeToLiveResponse()
            response.id = request.id
            response.header = headers.header(revision: member.mvcc.currentRevision)
            if let status = try await member.leaseTimeToLive(id: request.id, includeKeys: request.keys) {
                response.ttl = status.remaining
                response.grantedTtl = status.granted
                response.keys = status.keys.map { Data($0) }
            } else {
                // etcd reports a missing lease as TTL -1, not as an error.
                response.ttl = -1
            }
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func leaseLeases(
        request: Etcdserverpb_LeaseLeasesRequest, context: ServerContext
    ) async throws -> Etcdserverpb_LeaseLeasesResponse {
        do {
            await member.awaitAnsweredWrites()
            var response = Etcdserverpb_LeaseLeasesResponse()
            response.header = headers.header(revision: member.mvcc.currentRevision)
            response.leases = try member.mvcc.leases().map { lease in
                var status = Etcdserverpb_LeaseStatus()
                status.id = lease.id
                return status
            }
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }
}
