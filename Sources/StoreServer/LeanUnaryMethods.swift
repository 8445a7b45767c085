import EtcdAPI
import GRPCCore
import GRPCWire
import SwiftProtobuf

/// The unary methods a member answers on the lean path (`GRPCWireServer`), each calling the same service
/// implementation grpc-swift would and recording the same metrics. Streaming methods are not here: they are
/// forwarded to grpc-swift's server.
enum LeanUnaryMethods {
    static func all(
        kv: KVService, lease: LeaseService, cluster: ClusterService, maintenance: MaintenanceService
    ) -> [UnaryMethod] {
        typealias KV = Etcdserverpb_KV.Method
        typealias Lease = Etcdserverpb_Lease.Method
        typealias Cluster = Etcdserverpb_Cluster.Method
        typealias Maintenance = Etcdserverpb_Maintenance.Method
        return [
            method(KV.Range.descriptor, kv.range),
            immediate(KV.Put.descriptor, kv.put),
            immediate(KV.DeleteRange.descriptor, kv.deleteRange),
            immediate(KV.Txn.descriptor, kv.txn),
            method(KV.Compact.descriptor, kv.compact),
            method(Lease.LeaseGrant.descriptor, lease.leaseGrant),
            method(Lease.LeaseRevoke.descriptor, lease.leaseRevoke),
            method(Lease.LeaseTimeToLive.descriptor, lease.leaseTimeToLive),
            method(Lease.LeaseLeases.descriptor, lease.leaseLeases),
            method(Cluster.MemberAdd.descriptor, cluster.memberAdd),
            method(Cluster.MemberRemove.descriptor, cluster.memberRemove),
            method(Cluster.MemberUpdate.descriptor, cluster.memberUpdate),
            method(Cluster.MemberList.descriptor, cluster.memberList),
            method(Cluster.MemberPromote.descriptor, cluster.memberPromote),
            method(Maintenance.Alarm.descriptor, maintenance.alarm),
            method(Maintenance.Status.descriptor, maintenance.status),
            method(Maintenance.Defragment.descriptor, maintenance.defragment),
            method(Maintenance.Hash.descriptor, maintenance.hash),
            method(Maintenance.HashKV.descriptor, maintenance.hashKV),
            method(Maintenance.MoveLeader.descriptor, maintenance.moveLeader),
            method(Maintenance.Downgrade.descriptor, maintenance.downgrade),
        ]
    }

    private static func method<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> UnaryMethod {
        let metrics = MethodMetrics(method: descriptor.fullyQualifiedMethod)
        return UnaryMethod.protobuf(descriptor) { (request: Request, context) in
            let started = ContinuousClock.now
            do {
                let response = try await body(request, context)
                metrics.record(code: nil, since: started)
                return response
            } catch {
                metrics.record(code: (error as? RPCError)?.code ?? .unknown, since: started)
                throw error
            }
        }
    }

    /// A method answered without a task (see `UnaryMethod.protobuf(_:immediate:)`), with the same metrics.
    private static func immediate<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (Request, @escaping @Sendable (Result<Response, RPCError>) -> Void) -> Void
    ) -> UnaryMethod {
        let metrics = MethodMetrics(method: descriptor.fullyQualifiedMethod)
        return UnaryMethod.protobuf(
            descriptor,
            immediate: { (request: Request, reply) in
                let started = ContinuousClock.now
                body(request) { (result: Result<Response, RPCError>) in
                    switch result {
                    case .success: metrics.record(code: nil, since: started)
                    case .failure(let error): metrics.record(code: error.code, since: started)
                    }
                    reply(result)
                }
            })
    }
}
