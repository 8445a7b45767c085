import EtcdAPI
import GRPCCore
import MVCC
import Store

/// etcd's `KV` service: Range, Put, DeleteRange, Txn and Compact over one member.
struct KVService: Etcdserverpb_KV.SimpleServiceProtocol {
    let member: StoreMember
    let headers: ResponseHeaders
    let validation: RequestValidation

    func range(request: Etcdserverpb_RangeRequest, context: ServerContext) async throws -> Etcdserverpb_RangeResponse {
        do {
            try validation.check(request)
            let range = try RangeRequest(request)
            if !request.serializable && !member.skipsReadIndexForDebugFault {
                try await member.linearizableBarrier()
            }
            let (response, revision) = try member.mvcc.rangeWithRevision(range)
            return response.message(header: headers.header(revision: revision))
        } catch {
            throw EtcdError.from(error)
        }
    }

    func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
        do {
            try validation.check(request)
            try validation.checkSize(request.logSize)
            if member.acknowledgesBeforeCommitForDebugFault {
                // The deliberate defect: answer at once, with the revision the put would take if nothing else
                // came first, while the put is still on its way through the log.
                let put = PutRequest(request)
                let member = member
                Task { _ = try? await member.propose(.put(put)) }
                return PutResponse().message(header: headers.header(revision: member.mvcc.currentRevision + 1))
            }
            let result = try await member.propose(.put(PutRequest(request)))
            guard case .put(let put) = result.outcome else { preconditionFailure("put produced \(result.outcome)") }
            return put.message(header: headers.header(revision: result.revision))
        } catch {
            throw EtcdError.from(error)
        }
    }

    func deleteRange(
        request: Etcdserverpb_DeleteRangeRequest, context: ServerContext
    ) async throws -> Etcdserverpb_DeleteRangeResponse {
        do {
            try validation.check(request)
            try validation.checkSize(request.key.count + request.rangeEnd.count + 16)
            let result = try await member.propose(.deleteRange(DeleteRangeRequest(request)))
            guard case .deleteRange(let delete) = result.outcome else {
                preconditionFailure("delete produced \(result.outcome)")
            }
            return delete.message(header: headers.header(revision: result.revision))
        } catch {
            throw EtcdError.from(error)
        }
    }

    func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
        do {
            try validation.check(request)
            try validation.checkSize(request.logSize)
            let result = try await member.propose(.txn(try TxnRequest(request)))
            guard case .txn(let response) = result.outcome else { preconditionFailure("txn produced \(result.outcome)") }
            return response.message(header: headers.header(revision: result.revision))
        } catch {
            throw EtcdError.from(error)
        }
    }

    func compact(
        request: Etcdserverpb_CompactionRequest, context: ServerContext
    ) async throws -> Etcdserverpb_CompactionResponse {
        do {
            let result = try await member.propose(.compact(revision: request.revision))
            var response = Etcdserverpb_CompactionResponse()
            response.header = headers.header(revision: result.revision)
            return response
        } catch {
            throw EtcdError.from(error)
        }
    }
}
