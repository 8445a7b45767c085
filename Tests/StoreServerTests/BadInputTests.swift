import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Testing

/// Bad requests get etcd's gRPC status, and what is stored stays exactly as it was.
@Suite("Bad input")
struct BadInputTests {
    /// Sends bytes that are not a valid protobuf message to a method.
    struct RawBytesSerializer: MessageSerializer {
        func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    }

    static func put(_ kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>, _ key: String, _ value: String) async throws {
        var put = Etcdserverpb_PutRequest()
        put.key = Data(key.utf8)
        put.value = Data(value.utf8)
        _ = try await kv.put(put)
    }

    static func snapshotOfStore(_ kv: Etcdserverpb_KV.Client<HTTP2ClientTransport.Posix>) async throws -> Etcdserverpb_RangeResponse {
        var range = Etcdserverpb_RangeRequest()
        range.key = Data([0])
        range.rangeEnd = Data([0])
        var response = try await kv.range(range)
        response.header = Etcdserverpb_ResponseHeader()
        return response
    }

    static func expectStatus(
        _ code: RPCError.Code, _ message: String, _ body: () async throws -> Void,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            try await body()
            Issue.record("expected \(code): \(message), but the call succeeded", sourceLocation: sourceLocation)
        } catch let error as RPCError {
            #expect(error.code == code, sourceLocation: sourceLocation)
            #expect(error.message == message, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("malformed protobuf bytes are refused and change nothing")
    func malformedMessage() async throws {
        try await TestMember.with { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            try await Self.put(kv, "a", "1")
            let before = try await Self.snapshotOfStore(kv)
            // Field 1 declared as a 200-byte length-delimited value, followed by 3 bytes only.
            let garbage: [UInt8] = [0x0A, 0xC8, 0x01, 0x61, 0x62, 0x63]
            for method in ["Put", "Range", "Txn", "DeleteRange"] {
                do {
                    _ = try await client.unary(
                        request: ClientRequest(message: garbage),
                        descriptor: MethodDescriptor(fullyQualifiedService: "etcdserverpb.KV", method: method),
                        serializer: RawBytesSerializer(),
                        deserializer: ProtobufDeserializer<Etcdserverpb_PutResponse>(),
                        options: .defaults
                    ) { try $0.message }
                    Issue.record("\(method) accepted a malformed message")
                } catch let error as RPCError {
                    #expect(error.code == .internalError || error.code == .invalidArgument)
                }
            }
            #expect(try await Self.snapshotOfStore(kv) == before)
        }
    }

    @Test("etcd's validation errors, with etcd's codes and messages")
    func validationErrors() async throws {
        try await TestMember.with { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            let lease = Etcdserverpb_Lease.Client(wrapping: client)
            try await Self.put(kv, "k", "v")
            let before = try await Self.snapshotOfStore(kv)

            await Self.expectStatus(.invalidArgument, "etcdserver: key is not provided") {
                _ = try await kv.put(Etcdserverpb_PutRequest())
            }
            await Self.expectStatus(.invalidArgument, "etcdserver: key is not provided") {
                _ = try await kv.range(Etcdserverpb_RangeRequest())
            }
            await Self.expectStatus(.invalidArgument, "etcdserver: request is too large") {
                var put = Etcdserverpb_PutRequest()
                put.key = Data("big".utf8)
                put.value = Data(repeating: 0x78, count: 1536 * 1024 + 100)
                _ = try await kv.put(put)
            }
            await Self.expectStatus(.invalidArgument, "etcdserver: too many operations in txn request") {
                var txn = Etcdserverpb_TxnRequest()
                for index in 0..<129 {
                    var put = Etcdserverpb_PutRequest()
                    put.key = Data("t\(index)".utf8)
                    var op = Etcdserverpb_RequestOp()
                    op.request = .requestPut(put)
                    txn.success.append(op)
                }
                _ = try await kv.txn(txn)
            }
            await Self.expectStatus(.invalidArgument, "etcdserver: duplicate key given in txn request") {
                var txn = Etcdserverpb_TxnRequest()
                for _ in 0..<2 {
                    var put = Etcdserverpb_PutRequest()
                    put.key = Data("dup".utf8)
                    var op = Etcdserverpb_RequestOp()
                    op.request = .requestPut(put)
                    txn.success.append(op)
                }
                _ = try await kv.txn(txn)
            }
            await Self.expectStatus(.notFound, "etcdserver: requested lease not found") {
                var put = Etcdserverpb_PutRequest()
                put.key = Data("leased".utf8)
                put.lease = 0x1234abcd
                _ = try await kv.put(put)
            }
            await Self.expectStatus(.notFound, "etcdserver: requested lease not found") {
                var revoke = Etcdserverpb_LeaseRevokeRequest()
                revoke.id = 0x1234abcd
                _ = try await lease.leaseRevoke(revoke)
            }
            await Self.expectStatus(.outOfRange, "etcdserver: mvcc: required revision is a future revision") {
                var range = Etcdserverpb_RangeRequest()
                range.key = Data("k".utf8)
                range.revision = 1000
                _ = try await kv.range(range)
            }
            await Self.expectStatus(.invalidArgument, "etcdserver: value is provided") {
                var put = Etcdserverpb_PutRequest()
                put.key = Data("k".utf8)
                put.value = Data("x".utf8)
                put.ignoreValue = true
                _ = try await kv.put(put)
            }
            #expect(try await Self.snapshotOfStore(kv) == before)
        }
    }

    @Test("an unknown lease has TTL -1 and keeps alive to TTL 0; an unknown watch id cancels nothing")
    func unknownIDs() async throws {
        try await TestMember.with { client, _ in
            let lease = Etcdserverpb_Lease.Client(wrapping: client)
            var ttl = Etcdserverpb_LeaseTimeToLiveRequest()
            ttl.id = 0x77
            #expect(try await lease.leaseTimeToLive(ttl).ttl == -1)

            let watch = Etcdserverpb_Watch.Client(wrapping: client)
            let responses = try await watch.watch(
                requestProducer: { writer in
                    var cancel = Etcdserverpb_WatchRequest()
                    var cancelRequest = Etcdserverpb_WatchCancelRequest()
                    cancelRequest.watchID = 42
                    cancel.requestUnion = .cancelRequest(cancelRequest)
                    try await writer.write(cancel)
                    var create = Etcdserverpb_WatchRequest()
                    var createRequest = Etcdserverpb_WatchCreateRequest()
                    createRequest.key = Data("w".utf8)
                    create.requestUnion = .createRequest(createRequest)
                    try await writer.write(create)
                },
                onResponse: { response in
                    var collected: [Etcdserverpb_WatchResponse] = []
                    for try await message in response.messages {
                        collected.append(message)
                        if collected.count == 1 { break }
                    }
                    return collected
                })
            #expect(responses.count == 1)
            #expect(responses.first?.created == true)
            #expect(responses.first?.canceled == false)
        }
    }
}
