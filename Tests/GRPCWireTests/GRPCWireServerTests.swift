import EtcdAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCWire
import Logging
import Synchronization
import Testing

/// The lean server as grpc-swift's own client sees it: unary calls answered on the lean path, streaming calls
/// forwarded to `GRPCServer`, errors in gRPC's form, limits enforced, and a graceful shutdown.
@Suite("GRPCWireServer", .timeLimit(.minutes(2)))
struct GRPCWireServerTests {
    /// A KV service whose Range echoes the key back as the value of one key-value, and fails on demand with a
    /// message holding non-ASCII characters and a percent sign.
    struct EchoKV: Etcdserverpb_KV.SimpleServiceProtocol {
        func range(request: Etcdserverpb_RangeRequest, context: ServerContext) async throws -> Etcdserverpb_RangeResponse {
            if request.key == Data("fail".utf8) {
                throw RPCError(code: .failedPrecondition, message: "échec: 100% refusé\nsecond line")
            }
            var response = Etcdserverpb_RangeResponse()
            var kv = Mvccpb_KeyValue()
            kv.key = request.key
            kv.value = request.key + request.rangeEnd
            response.kvs = [kv]
            response.count = Int64(request.limit)
            return response
        }
        /// Slow puts (a lease given) that have reached the service.
        static let slowPutsArrived = Mutex(0)

        func put(request: Etcdserverpb_PutRequest, context: ServerContext) async throws -> Etcdserverpb_PutResponse {
            if request.lease > 0 { Self.slowPutsArrived.withLock { $0 += 1 } }
            try await Task.sleep(for: .milliseconds(Int(request.lease)))
            return Etcdserverpb_PutResponse()
        }
        func deleteRange(request: Etcdserverpb_DeleteRangeRequest, context: ServerContext) async throws -> Etcdserverpb_DeleteRangeResponse {
            throw RPCError(code: .unimplemented, message: "")
        }
        func txn(request: Etcdserverpb_TxnRequest, context: ServerContext) async throws -> Etcdserverpb_TxnResponse {
            throw RPCError(code: .unimplemented, message: "")
        }
        func compact(request: Etcdserverpb_CompactionRequest, context: ServerContext) async throws -> Etcdserverpb_CompactionResponse {
            throw RPCError(code: .unimplemented, message: "")
        }
    }

    /// A Watch service that answers every request with a response whose watch id is the request's, so that a
    /// forwarded bidirectional stream can be checked message by message.
    struct EchoWatch: Etcdserverpb_Watch.SimpleServiceProtocol {
        func watch(
            request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
            response: RPCWriter<Etcdserverpb_WatchResponse>, context: ServerContext
        ) async throws {
            for try await message in request {
                var answer = Etcdserverpb_WatchResponse()
                answer.watchID = message.createRequest.watchID
                answer.events = [Mvccpb_Event()]
                answer.events[0].kv.value = message.createRequest.key
                try await response.write(answer)
            }
        }
    }

    static let maximumMessageLength = 256 * 1024

    /// DeleteRange answered without a task, from another thread: `deleted` is the key's length; the key
    /// "fail" fails with `notFound`. Every call is answered twice, and the second answer must be ignored.
    static let immediateDeleteRange = UnaryMethod.protobuf(
        Etcdserverpb_KV.Method.DeleteRange.descriptor,
        immediate: {
            (request: Etcdserverpb_DeleteRangeRequest,
             reply: @escaping @Sendable (Result<Etcdserverpb_DeleteRangeResponse, RPCError>) -> Void) in
            DispatchQueue.global().async {
                if request.key == Data("fail".utf8) {
                    reply(.failure(RPCError(code: .notFound, message: "no such key")))
                } else {
                    var response = Etcdserverpb_DeleteRangeResponse()
                    response.deleted = Int64(request.key.count)
                    reply(.success(response))
                }
                reply(.failure(RPCError(code: .internalError, message: "answered twice")))
            }
        })

    /// Runs a lean server with EchoKV's Range and Put on the lean path and everything forwarded, and a client
    /// connected to it.
    func withServer(
        watch: any RegistrableRPCService = EchoWatch(),
        _ body: @Sendable (GRPCClient<HTTP2ClientTransport.Posix>, GRPCWireServer) async throws -> Void
    ) async throws {
        let echo = EchoKV()
        let forwarding = ForwardedStreamTransport()
        let grpc = GRPCServer(transport: forwarding, services: [echo, watch])
        var configuration = GRPCWireServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.maximumMessageLength = Self.maximumMessageLength
        let server = GRPCWireServer(
            configuration: configuration,
            methods: [
                .protobuf(Etcdserverpb_KV.Method.Range.descriptor, echo.range),
                .protobuf(Etcdserverpb_KV.Method.Put.descriptor, echo.put),
                Self.immediateDeleteRange,
            ],
            forwarding: forwarding, logger: Logger(label: "test"))
        try await withLeanServer(server, forwardingTo: grpc) { client in
            try await body(client, server)
        }
    }

    @Test("a unary call is answered on the lean path, many at once on one connection")
    func unaryCalls() async throws {
        try await withServer { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        var request = Etcdserverpb_RangeRequest()
                        request.key = Data("key-\(index)".utf8)
                        request.limit = Int64(index)
                        let response = try await kv.range(request)
                        #expect(response.kvs.first?.value == request.key)
                        #expect(response.count == Int64(index))
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("a method answered without a task, from another thread, answers each call once, failures included")
    func immediateCalls() async throws {
        try await withServer { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        var request = Etcdserverpb_DeleteRangeRequest()
                        request.key = Data(repeating: UInt8(ascii: "k"), count: index + 1)
                        let response = try await kv.deleteRange(request)
                        #expect(response.deleted == Int64(index + 1))
                    }
                }
                try await group.waitForAll()
            }
            var failing = Etcdserverpb_DeleteRangeRequest()
            failing.key = Data("fail".utf8)
            do {
                _ = try await kv.deleteRange(failing)
                Issue.record("the call succeeded")
            } catch let error as RPCError {
                #expect(error.code == .notFound)
                #expect(error.message == "no such key")
            }
            // The connection is still usable after the ignored second answers.
            var request = Etcdserverpb_RangeRequest()
            request.key = Data("after".utf8)
            #expect(try await kv.range(request).kvs.first?.value == request.key)
        }
    }

    @Test("responses larger than HTTP/2's default windows arrive whole, as do requests beyond the connection window")
    func largeMessages() async throws {
        try await withServer { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            var request = Etcdserverpb_RangeRequest()
            request.key = Data(repeating: UInt8(ascii: "k"), count: 200 * 1024)
            request.rangeEnd = Data(repeating: UInt8(ascii: "e"), count: 50 * 1024)
            // 80 requests of 250 KiB: more than the 16 MiB connection window, which must be given back.
            for _ in 0..<80 {
                let response = try await kv.range(request)
                #expect(response.kvs.first?.value.count == 250 * 1024)
            }
        }
    }

    @Test("a failure reaches the client with its code and its message, percent-encoding undone")
    func failureStatus() async throws {
        try await withServer { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            var request = Etcdserverpb_RangeRequest()
            request.key = Data("fail".utf8)
            do {
                _ = try await kv.range(request)
                Issue.record("the call succeeded")
            } catch let error as RPCError {
                #expect(error.code == .failedPrecondition)
                #expect(error.message == "échec: 100% refusé\nsecond line")
            }
        }
    }

    @Test("a request above the limit is refused with resourceExhausted and the connection goes on")
    func oversizedRequest() async throws {
        try await withServer { client, _ in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            var request = Etcdserverpb_RangeRequest()
            request.key = Data(repeating: 1, count: Self.maximumMessageLength + 1)
            do {
                _ = try await kv.range(request)
                Issue.record("the call succeeded")
            } catch let error as RPCError {
                #expect(error.code == .resourceExhausted)
            }
            var small = Etcdserverpb_RangeRequest()
            small.key = Data("after".utf8)
            #expect(try await kv.range(small).kvs.first?.key == small.key)
        }
    }

    @Test("streaming calls and unregistered unary methods are forwarded to grpc-swift's server")
    func forwardedCalls() async throws {
        try await withServer { client, _ in
            let watch = Etcdserverpb_Watch.Client(wrapping: client)
            let ids: [Int64] = try await watch.watch(
                requestProducer: { writer in
                    for id in 1...50 {
                        var request = Etcdserverpb_WatchRequest()
                        request.createRequest.watchID = Int64(id)
                        request.createRequest.key = Data(repeating: 7, count: 40 * 1024)
                        try await writer.write(request)
                    }
                },
                onResponse: { response in
                    var ids: [Int64] = []
                    for try await message in response.messages {
                        #expect(message.events.first?.kv.value.count == 40 * 1024)
                        ids.append(message.watchID)
                    }
                    return ids
                })
            #expect(ids == Array(1...50))
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            do {
                _ = try await kv.txn(Etcdserverpb_TxnRequest())
                Issue.record("the call succeeded")
            } catch let error as RPCError {
                #expect(error.code == .unimplemented)
            }
            let unknown = Etcdserverpb_Auth.Client(wrapping: client)
            do {
                _ = try await unknown.authEnable(Etcdserverpb_AuthEnableRequest())
                Issue.record("the call succeeded")
            } catch let error as RPCError {
                #expect(error.code == .unimplemented)
            }
        }
    }

    /// A Watch service that takes one request, then nothing until the gate opens, then counts the rest and
    /// answers once with the count as the watch id.
    struct GatedWatch: Etcdserverpb_Watch.SimpleServiceProtocol {
        let gate = AsyncStream.makeStream(of: Void.self)

        func watch(
            request: RPCAsyncSequence<Etcdserverpb_WatchRequest, any Error>,
            response: RPCWriter<Etcdserverpb_WatchResponse>, context: ServerContext
        ) async throws {
            var iterator = request.makeAsyncIterator()
            guard try await iterator.next() != nil else { return }
            for await _ in gate.stream { break }
            var count: Int64 = 1
            while try await iterator.next() != nil { count += 1 }
            var answer = Etcdserverpb_WatchResponse()
            answer.watchID = count
            try await response.write(answer)
        }
    }

    @Test("a forwarded stream whose service does not read holds its client back instead of buffering")
    func forwardedBackPressure() async throws {
        let gated = GatedWatch()
        try await withServer(watch: gated) { client, _ in
            let watch = Etcdserverpb_Watch.Client(wrapping: client)
            let sent = Mutex(0)
            // Many small messages rather than few large ones: grpc-swift's client accepts up to about a thousand
            // writes before it waits for the connection, whatever their size, and "held" counts writes accepted.
            let total = 10_000
            let count: Int64 = try await watch.watch(
                requestProducer: { writer in
                    var request = Etcdserverpb_WatchRequest()
                    request.createRequest.key = Data(repeating: 7, count: 4 * 1024)
                    for _ in 0..<total {
                        try await writer.write(request)
                        sent.withLock { $0 += 1 }
                    }
                },
                onResponse: { response in
                    // 40 MB offered: with the service not reading, the stream's window and the sockets' buffers
                    // hold far less.
                    try await Task.sleep(for: .milliseconds(1500))
                    let held = sent.withLock { $0 }
                    #expect(held < total * 6 / 10, "\(held) of \(total) messages went out to a service that reads none")
                    gated.gate.continuation.finish()
                    var count: Int64 = 0
                    for try await message in response.messages { count = message.watchID }
                    return count
                })
            #expect(count == Int64(total))
        }
    }

    @Test("a graceful shutdown lets a call in progress finish and refuses the connection afterwards")
    func gracefulShutdown() async throws {
        try await withServer { client, server in
            let kv = Etcdserverpb_KV.Client(wrapping: client)
            _ = try await kv.put(Etcdserverpb_PutRequest())  // connected
            var slow = Etcdserverpb_PutRequest()
            slow.lease = 500  // EchoKV's Put sleeps this many milliseconds
            let arrivedBefore = EchoKV.slowPutsArrived.withLock { $0 }
            async let answered = kv.put(slow)
            // The shutdown must meet the call in progress at the server, not on its way there (a call that
            // arrives after the GOAWAY is refused, as HTTP/2 has it).
            let arrivalDeadline = ContinuousClock.now + .seconds(10)
            while EchoKV.slowPutsArrived.withLock({ $0 }) == arrivedBefore && ContinuousClock.now < arrivalDeadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            server.beginGracefulShutdown()
            _ = try await answered
            let deadline = ContinuousClock.now + .seconds(5)
            while server.connectionCount > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(server.connectionCount == 0)
        }
    }
}
