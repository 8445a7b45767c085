import StoreClient
import Testing

@Suite("StoreClient key-value requests against a Keel member", .serialized)
struct KVTests {
    @Test("put, get and range with prefix, limit, sort, keys-only, count-only and revision")
    func putGetRange() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let first = try await client.put(bytes("fruit/apple"), bytes("red"))
                try await client.put(bytes("fruit/banana"), bytes("yellow"))
                try await client.put(bytes("fruit/cherry"), bytes("dark red"))
                try await client.put(bytes("veg/leek"), bytes("green"))
                let replaced = try await client.put(bytes("fruit/apple"), bytes("green"), prevKV: true)
                #expect(replaced.previous?.string == "red")
                #expect(replaced.header.revision == first.header.revision + 4)

                let apple = try #require(try await client.get(bytes("fruit/apple")))
                #expect(apple.string == "green")
                #expect(apple.version == 2)
                #expect(apple.createRevision == first.header.revision)
                #expect(try await client.get(bytes("fruit/durian")) == nil)
                let old = try await client.get(bytes("fruit/apple"), revision: first.header.revision)
                #expect(old?.string == "red")

                let fruit = try await client.range(.prefix(bytes("fruit/")))
                #expect(fruit.kvs.map { text($0.key) } == ["fruit/apple", "fruit/banana", "fruit/cherry"])
                #expect(fruit.count == 3)

                var options = RangeOptions(limit: 2, sort: .init(.key, .descending))
                let limited = try await client.range(.prefix(bytes("fruit/")), options: options)
                #expect(limited.kvs.map { text($0.key) } == ["fruit/cherry", "fruit/banana"])
                #expect(limited.more)
                #expect(limited.count == 3)

                options = RangeOptions(keysOnly: true)
                let keys = try await client.range(.fromKey(bytes("fruit/c")), options: options)
                #expect(keys.kvs.map { text($0.key) } == ["fruit/cherry", "veg/leek"])
                #expect(keys.kvs.allSatisfy { $0.value.isEmpty })

                let counted = try await client.range(.all, options: RangeOptions(countOnly: true))
                #expect(counted.kvs.isEmpty && counted.count == 4)

                let serializable = try await client.range(
                    .interval(bytes("fruit/b"), end: bytes("fruit/c")), options: RangeOptions(serializable: true))
                #expect(serializable.kvs.map { text($0.key) } == ["fruit/banana"])
            }
        }
    }

    @Test("delete with previous values; transactions with compares on value, version, revisions and lease")
    func deleteAndTxn() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let put = try await client.put(bytes("a"), bytes("1"))
                try await client.put(bytes("b"), bytes("2"))

                let created = try await client.txn(
                    Txn().when(.version(bytes("c"), .equal, 0)).then(.put(bytes("c"), bytes("3")))
                        .orElse(.get(bytes("c"))))
                #expect(created.succeeded)
                let again = try await client.txn(
                    Txn().when(.version(bytes("c"), .equal, 0)).then(.put(bytes("c"), bytes("4")))
                        .orElse(.get(bytes("c"))))
                #expect(!again.succeeded)
                guard case .range(let current)? = again.responses.first else {
                    Issue.record("expected a range result, got \(again.responses)")
                    return
                }
                #expect(current.kvs.first?.string == "3")

                let swap = try await client.txn(
                    Txn()
                        .when(
                            .value(bytes("a"), .equal, bytes("1")),
                            .modRevision(bytes("a"), .equal, put.header.revision),
                            .createRevision(bytes("b"), .greater, put.header.revision - 1),
                            .lease(bytes("a"), .equal, nil)
                        )
                        .then(.put(bytes("a"), bytes("one"), prevKV: true), .delete(.key(bytes("b")), prevKV: true))
                )
                #expect(swap.succeeded)
                #expect(swap.responses.count == 2)
                if case .put(let result)? = swap.responses.first { #expect(result.previous?.string == "1") }
                if case .delete(let result)? = swap.responses.last { #expect(result.deleted == 1) }

                let nested = try await client.txn(
                    Txn().then(.txn(Txn().when(.version(bytes("a"), .greater, 0)).then(.get(bytes("a"))))))
                guard case .txn(let inner)? = nested.responses.first,
                    case .range(let read)? = inner.responses.first
                else {
                    Issue.record("expected a nested transaction result, got \(nested.responses)")
                    return
                }
                #expect(read.kvs.first?.string == "one")

                let deleted = try await client.delete(.prefix(bytes("")), prevKV: true)
                #expect(deleted.deleted == 2)
                #expect(Set(deleted.previous.map { text($0.key) }) == ["a", "c"])
            }
        }
    }

    @Test("a range answer larger than gRPC's default 4 MiB message limit arrives")
    func largeAnswer() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                let value = [UInt8](repeating: 0x5a, count: 1_200_000)
                for index in 0..<5 { try await client.put(bytes("large/\(index)"), value) }
                let all = try await client.range(.prefix(bytes("large/")))
                #expect(all.kvs.count == 5)
                #expect(all.kvs.allSatisfy { $0.value == value })
            }
        }
    }

    @Test("etcd's errors arrive typed, with the compact revision and the gRPC status")
    func errors() async throws {
        try await KeelMember.with { member in
            try await withTestClient([member.endpoint]) { client in
                for index in 0..<5 { try await client.put(bytes("k"), bytes("\(index)")) }
                let latest = try await client.put(bytes("k"), bytes("last")).header.revision

                await expectCode(.emptyKey) { try await client.put([], bytes("v")) }
                await expectCode(.futureRevision) { _ = try await client.get(bytes("k"), revision: latest + 100) }
                await expectCode(.leaseNotFound) { try await client.revoke(LeaseID(rawValue: 0x7777)) }
                await expectCode(.leaseNotFound) {
                    try await client.put(bytes("k"), bytes("v"), lease: LeaseID(rawValue: 0x7777))
                }
                await expectCode(.requestTooLarge) {
                    try await client.put(bytes("big"), [UInt8](repeating: 1, count: 1_600_000))
                }
                await expectCode(.requestTooLarge) {
                    try await client.put(bytes("bigger"), [UInt8](repeating: 1, count: 3_000_000))
                }

                try await client.compact(latest - 2)
                await expectCode(.compacted) { _ = try await client.get(bytes("k"), revision: latest - 3) }
                await expectCode(.compacted) { try await client.compact(latest - 3) }
                do {
                    _ = try await client.get(bytes("k"), revision: latest - 4)
                    Issue.record("a read below the compaction succeeded")
                } catch let error as StoreClientError {
                    #expect(error.rpcError?.code == .outOfRange)
                    #expect(error.message == "etcdserver: mvcc: required revision has been compacted")
                }
            }
        }
    }
}

func expectCode(
    _ code: StoreClientError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(code), but the request succeeded", sourceLocation: sourceLocation)
    } catch let error as StoreClientError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
