import EtcdAPI
import Foundation
import GRPCCore
import GRPCWire
import Testing

/// The lean unary client against a real etcd 3.4: each test starts its own single-member etcd and kills it
/// by its PID at the end, whatever the outcome.
@Suite(
    "GRPCWireConnection against etcd",
    .serialized,
    .enabled(if: EtcdTestServer.isInstalled, "etcd 3.4 is not installed at /usr/bin/etcd: skipped"),
    .timeLimit(.minutes(1))
)
struct GRPCWireConnectionTests {
    static let put = "/etcdserverpb.KV/Put"
    static let range = "/etcdserverpb.KV/Range"

    /// Runs `body` with a connection to a fresh etcd, which is stopped afterwards.
    private func withEtcd(
        _ body: (EtcdTestServer, GRPCWireConnection) async throws -> Void
    ) async throws {
        let server = try await EtcdTestServer.start()
        defer { server.stop() }
        let connection = try await server.connect()
        do {
            try await body(server, connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private func put(_ key: String, _ value: String, on connection: GRPCWireConnection) async throws {
        var request = Etcdserverpb_PutRequest()
        request.key = Data(key.utf8)
        request.value = Data(value.utf8)
        _ = try await connection.unary(Self.put, request, as: Etcdserverpb_PutResponse.self)
    }

    private func get(_ key: String, on connection: GRPCWireConnection) async throws -> String? {
        var request = Etcdserverpb_RangeRequest()
        request.key = Data(key.utf8)
        let response = try await connection.unary(Self.range, request, as: Etcdserverpb_RangeResponse.self)
        return response.kvs.first.map { String(decoding: $0.value, as: UTF8.self) }
    }

    @Test func putThenRange() async throws {
        try await withEtcd { _, connection in
            try await put("greeting", "hello", on: connection)
            #expect(try await get("greeting", on: connection) == "hello")
            #expect(try await get("absent", on: connection) == nil)
        }
    }

    @Test func concurrentCallsFromManyTasks() async throws {
        try await withEtcd { _, connection in
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await put("key-\(index)", "value-\(index)", on: connection)
                        return try await get("key-\(index)", on: connection) == "value-\(index)"
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0 })
        }
    }

    /// etcd's server sends a PING to estimate bandwidth with nearly every call that comes alone: hundreds of
    /// them must not trip the HTTP/2 handler's limit on control frames (by default 200 in 30 s).
    @Test func hundredsOfCallsOneAtATime() async throws {
        try await withEtcd { _, connection in
            for index in 0..<500 { try await put("one-by-one-\(index)", "v", on: connection) }
            #expect(try await get("one-by-one-499", on: connection) == "v")
        }
    }

    @Test func errorStatusBecomesRPCError() async throws {
        try await withEtcd { _, connection in
            let error = await #expect(throws: RPCError.self) {
                _ = try await connection.unary(
                    Self.range, Etcdserverpb_RangeRequest(), as: Etcdserverpb_RangeResponse.self)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "etcdserver: key is not provided")
            // The connection stays usable after a failed call.
            try await put("after-error", "fine", on: connection)
            #expect(try await get("after-error", on: connection) == "fine")
        }
    }

    /// A response several times the 64 KiB flow-control window arrives only if the window is given back.
    @Test func responseLargerThanTheWindow() async throws {
        try await withEtcd { _, connection in
            let value = String(repeating: "v", count: 1024)
            let keys = 300
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<keys {
                    group.addTask { try await put(String(format: "big/%04d", index), value, on: connection) }
                }
                try await group.waitForAll()
            }
            // Twice, so that the connection's window is given back across calls as well.
            for _ in 0..<2 {
                var request = Etcdserverpb_RangeRequest()
                request.key = Data("big/".utf8)
                request.rangeEnd = Data("big0".utf8)
                let response = try await connection.unary(
                    Self.range, request, as: Etcdserverpb_RangeResponse.self)
                #expect(try (response.serializedBytes() as [UInt8]).count > 3 * 65_535)
                #expect(response.kvs.count == keys)
                #expect(response.kvs.allSatisfy { $0.value == Data(value.utf8) })
            }
        }
    }

    @Test func callsFailWithUnavailableOnceTheServerIsKilled() async throws {
        try await withEtcd { server, connection in
            try await put("before", "kill", on: connection)
            server.kill()
            var codes: [RPCError.Code] = []
            for index in 0..<3 {
                do {
                    try await put("after-\(index)", "kill", on: connection)
                    Issue.record("a put succeeded after the server was killed")
                } catch let error as RPCError {
                    codes.append(error.code)
                }
            }
            #expect(codes == [.unavailable, .unavailable, .unavailable])
        }
    }

    @Test func cancellingTheTaskEndsItsCall() async throws {
        try await withEtcd { server, connection in
            try await put("before", "stop", on: connection)
            // A stopped server never answers: only the cancellation can end the call.
            server.send(SIGSTOP)
            let call = Task { try await put("during", "stop", on: connection) }
            try await Task.sleep(for: .milliseconds(200))
            call.cancel()
            let error = await #expect(throws: RPCError.self) { try await call.value }
            #expect(error?.code == .cancelled)
            server.send(SIGCONT)
            try await put("after", "stop", on: connection)
            #expect(try await get("after", on: connection) == "stop")
        }
    }

    @Test func callsFailWithUnavailableAfterClose() async throws {
        try await withEtcd { _, connection in
            try await put("before", "close", on: connection)
            await connection.close()
            let error = await #expect(throws: RPCError.self) { try await put("after", "close", on: connection) }
            #expect(error?.code == .unavailable)
        }
    }
}
