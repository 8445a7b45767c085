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
            } else {
                await member.awaitAnsweredWrites()
            }
            let (response, revision) = try member.mvcc.rangeWithRevision(range)
            return response.message(header: headers.header(revision: revision))
        } catch {
            throw EtcdError.from(error)
        }
    }

    func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
        try await Self.awaiting { put(request, reply: $0) }
    }

    func deleteRange(
        request: Etcdserverpb_DeleteRangeRequest, context: ServerContext
    ) async throws -> Etcdserverpb_DeleteRangeResponse {
        try await Self.awaiting { deleteRange(request, reply: $0) }
    }

    func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
        try await Self.awaiting { txn(request, reply: $0) }
    }

    // Writes are answered without a task (the lean server's `immediate` methods): validated on the calling
    // thread, answered from the member's Raft loop.

    func put(_ request: Etcdserverpb_PutRequest, reply: @escaping @Sendable (Result<Etcdserverpb_PutResponse, RPCError>) -> Void) {
        do {
            try validation.check(request)
            try validation.checkSize(request.logSize)
        } catch {
            return reply(.failure(EtcdError.from(error)))
        }
        if member.acknowledgesBeforeCommitForDebugFault {
            // The deliberate defect: answer at once, with the revision the put would take if nothing else
            // came first, while the put is still on its way through the log.
            member.propose(.put(PutRequest(request))) { _ in }
            return reply(.success(PutResponse().message(header: headers.header(revision: member.mvcc.currentRevision + 1))))
        }
        let headers = headers
        member.propose(.put(PutRequest(request))) { result in
            reply(Self.answer(result) { outcome, revision in
                guard case .put(let put) = outcome else { preconditionFailure("put produced \(outcome)") }
                return put.message(header: headers.header(revision: revision))
            })
        }
    }

    func deleteRange(
        _ request: Etcdserverpb_DeleteRangeRequest,
        reply: @escaping @Sendable (Result<Etcdserverpb_DeleteRangeResponse, RPCError>) -> Void
    ) {
        do {
            try validation.check(request)
            try validation.checkSize(request.key.count + request.rangeEnd.count + 16)
        } catch {
            return reply(.failure(EtcdError.from(error)))
        }
        let headers = headers
        member.propose(.deleteRange(DeleteRangeRequest(request))) { result in
            reply(Self.answer(result) { outcome, revision in
                guard case .deleteRange(let delete) = outcome else { preconditionFailure("delete produced \(outcome)") }
                return delete.message(header: headers.header(revision: revision))
            })
        }
    }

    func txn(_ request: Etcdserverpb_TxnRequest, reply: @escaping @Sendable (Result<Etcdserverpb_TxnResponse, RPCError>) -> Void) {
        let txn: TxnRequest
        do {
            try validation.check(request)
            try validation.checkSize(request.logSize)
            txn = try TxnRequest(request)
        } catch {
            return reply(.failure(EtcdError.from(error)))
        }
        let headers = headers
        member.propose(.txn(txn)) { result in
            reply(Self.answer(result) { outcome, revision in
                guard case .txn(let response) = outcome else { preconditionFailure("txn produced \(outcome)") }
                return response.message(header: headers.header(revision: revision))
            })
        }
    }

    private static func answer<Response>(
        _ result: Result<WriteResult, any Error>, _ response: (WriteResult.Outcome, Int64) -> Response
    ) -> Result<Response, RPCError> {
        switch result {
        case .success(let written): return .success(response(written.outcome, written.revision))
        case .failure(let error): return .failure(EtcdError.from(error))
        }
    }

    private static func awaiting<Response: Sendable>(
        _ start: (@escaping @Sendable (Result<Response, RPCError>) -> Void) -> Void
    ) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            start { continuation.resume(with: $0) }
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
