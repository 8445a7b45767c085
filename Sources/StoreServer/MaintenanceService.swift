import Crypto
import EtcdAPI
import Foundation
import GRPCCore
import Logging
import MVCC
import Store

/// etcd's `Maintenance` service: status, alarms, hashes, snapshots and defragmentation.
struct MaintenanceService: Etcdserverpb_Maintenance.SimpleServiceProtocol {
    let member: StoreMember
    let headers: ResponseHeaders
    let logger: Logger
    /// The version reported in `Status`: the etcd API version this member speaks.
    static let apiVersion = "3.4.0"
    /// Size of each chunk of a snapshot stream.
    static let snapshotChunkSize = 32 * 1024

    func alarm(request: Etcdserverpb_AlarmRequest, context: ServerContext) async throws -> Etcdserverpb_AlarmResponse {
        do {
            var response = Etcdserverpb_AlarmResponse()
            let alarms: [Alarm]
            switch request.action {
            case .get:
                alarms = member.alarms
            case .activate, .deactivate:
                guard let kind = Alarm.Kind(rawValue: request.alarm.rawValue), kind != .none else {
                    throw RPCError(code: .invalidArgument, message: "etcdserver: unknown alarm type")
                }
                let change = AlarmChange(
                    action: request.action == .activate ? .activate : .deactivate,
                    alarm: Alarm(memberID: request.memberID, kind: kind))
                let result = try await member.propose(.alarm(change))
                guard case .alarms(let current) = result.outcome else {
                    preconditionFailure("an alarm change produced \(result.outcome)")
                }
                // etcd answers an activation with the alarm raised and a deactivation with the one cleared.
                alarms = request.action == .activate ? current.filter { $0 == change.alarm } : [change.alarm]
            case .UNRECOGNIZED:
                throw RPCError(code: .invalidArgument, message: "etcdserver: unknown alarm action")
            }
            // etcd answers a plain listing without a header.
            if request.action != .get { response.header = headers.header(revision: member.mvcc.currentRevision) }
            response.alarms = alarms.map { alarm in
                var message = Etcdserverpb_AlarmMember()
                message.memberID = alarm.memberID
                message.alarm = Etcdserverpb_AlarmType(rawValue: alarm.kind.rawValue) ?? .none
                return message
            }
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func status(request: Etcdserverpb_StatusRequest, context: ServerContext) async throws -> Etcdserverpb_StatusResponse {
        await member.awaitAnsweredWrites()
        var response = Etcdserverpb_StatusResponse()
        response.header = headers.header(revision: member.mvcc.currentRevision)
        response.version = Self.apiVersion
        response.dbSize = member.mvcc.dbSizeBytes
        response.dbSizeInUse = member.mvcc.dbSizeInUseBytes
        let raft = member.raftStatus
        response.leader = raft.leader ?? 0
        response.raftIndex = raft.commit
        response.raftAppliedIndex = member.appliedEntryIndex
        response.raftTerm = raft.term
        response.isLearner = raft.confState.isLearner(member.identity.memberID)
        response.errors = member.alarms.map { "alarm:\($0.kind == .noSpace ? "NOSPACE" : "CORRUPT")" }
        return response
    }

    func defragment(
        request: Etcdserverpb_DefragmentRequest, context: ServerContext
    ) async throws -> Etcdserverpb_DefragmentResponse {
        // LMDB puts freed pages back to use on its own, so there is nothing to rewrite for reads and writes
        // to stay fast; shrinking the file on disk is done by a snapshot and restore.
        var response = Etcdserverpb_DefragmentResponse()
        response.header = headers.header(revision: member.mvcc.currentRevision)
        return response
    }

    func hash(request: Etcdserverpb_HashRequest, context: ServerContext) async throws -> Etcdserverpb_HashResponse {
        do {
            await member.awaitAnsweredWrites()
            var response = Etcdserverpb_HashResponse()
            response.hash = try member.mvcc.hash()
            response.header = headers.header(revision: member.mvcc.currentRevision)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func hashKV(request: Etcdserverpb_HashKVRequest, context: ServerContext) async throws -> Etcdserverpb_HashKVResponse {
        do {
            await member.awaitAnsweredWrites()
            let result = try member.mvcc.hashKV(revision: request.revision)
            var response = Etcdserverpb_HashKVResponse()
            response.hash = result.hash
            // etcd reports a store that was never compacted as compacted at -1.
            response.compactRevision = result.compactRevision == 0 ? -1 : result.compactRevision
            response.header = headers.header(revision: result.revision)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }

    func snapshot(
        request: Etcdserverpb_SnapshotRequest,
        response: RPCWriter<Etcdserverpb_SnapshotResponse>,
        context: ServerContext
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("data.mdb").path
        let revision: Int64
        await member.awaitAnsweredWrites()
        do {
            revision = try member.mvcc.copy(toFile: path)
        } catch {
            throw EtcdError.from(error)
        }
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw RPCError(code: .internalError, message: "etcdserver: cannot read the snapshot copy")
        }
        defer { try? file.close() }
        let total = Int64((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)
        var sent: Int64 = 0
        var digest = SHA256()
        let header = headers.header(revision: revision)
        while true {
            let chunk = try file.read(upToCount: Self.snapshotChunkSize) ?? Data()
            if chunk.isEmpty { break }
            digest.update(data: chunk)
            sent += Int64(chunk.count)
            var message = Etcdserverpb_SnapshotResponse()
            message.header = header
            message.remainingBytes = UInt64(max(total - sent, 0))
            message.blob = chunk
            try await response.write(message)
        }
        // As etcd does, the stream ends with the SHA-256 of everything before it, so a reader can check the copy.
        var trailer = Etcdserverpb_SnapshotResponse()
        trailer.header = header
        trailer.remainingBytes = 0
        trailer.blob = Data(digest.finalize())
        try await response.write(trailer)
        logger.info("sent a snapshot", metadata: ["bytes": "\(sent)", "revision": "\(revision)"])
    }

    func moveLeader(
        request: Etcdserverpb_MoveLeaderRequest, context: ServerContext
    ) async throws -> Etcdserverpb_MoveLeaderResponse {
        // etcd accepts MoveLeader only on the leader; etcdctl sends it there.
        guard member.isLeader else {
            throw RPCError(code: .failedPrecondition, message: "etcdserver: not leader")
        }
        guard member.raftStatus.confState.isVoter(request.targetID) else { throw EtcdError.badLeaderTransferee }
        do { try await member.transferLeadership(to: request.targetID) } catch { throw EtcdError.from(error) }
        var response = Etcdserverpb_MoveLeaderResponse()
        response.header = headers.header(revision: member.mvcc.currentRevision)
        return response
    }

    func downgrade(
        request: Etcdserverpb_DowngradeRequest, context: ServerContext
    ) async throws -> Etcdserverpb_DowngradeResponse {
        throw RPCError(code: .unimplemented, message: "etcdserver: downgrade is not supported")
    }
}
