import Testing

@testable import MVCC

@Suite("Txn")
struct TxnTests {
    /// a: created at 2, value "m", version 2 (mod 3), lease 5; b: created at 4, value "x", version 1.
    private func fixture() throws -> StoreFixture {
        let f = try StoreFixture()
        try f.grant(5)
        try f.put("a", "1")
        try f.put("a", "m", lease: 5)
        try f.put("b", "x")
        return f
    }

    private func holds(_ f: StoreFixture, _ compare: Compare) throws -> Bool {
        try f.txn(TxnRequest(compare: [compare])).succeeded
    }

    @Test("every compare target with every operator, on an existing key")
    func targetsAndOperators() throws {
        let f = try fixture()
        let a = utf8("a")
        let cases: [(Compare.Target, below: Compare.Target, above: Compare.Target)] = [
            (.version(2), .version(1), .version(3)),
            (.create(2), .create(1), .create(3)),
            (.mod(3), .mod(2), .mod(4)),
            (.value(utf8("m")), .value(utf8("l")), .value(utf8("mm"))),
            (.lease(5), .lease(4), .lease(6)),
        ]
        for (exact, below, above) in cases {
            #expect(try holds(f, Compare(key: a, result: .equal, target: exact)))
            #expect(try !holds(f, Compare(key: a, result: .equal, target: below)))
            #expect(try !holds(f, Compare(key: a, result: .notEqual, target: exact)))
            #expect(try holds(f, Compare(key: a, result: .notEqual, target: above)))
            #expect(try holds(f, Compare(key: a, result: .greater, target: below)))
            #expect(try !holds(f, Compare(key: a, result: .greater, target: exact)))
            #expect(try holds(f, Compare(key: a, result: .less, target: above)))
            #expect(try !holds(f, Compare(key: a, result: .less, target: exact)))
        }
        #expect(f.store.currentRevision == 4)
    }

    @Test("a missing key compares as version, create, mod and lease 0; any value compare on it fails")
    func missingKey() throws {
        let f = try fixture()
        let z = utf8("z")
        #expect(try holds(f, Compare(key: z, result: .equal, target: .version(0))))
        #expect(try holds(f, Compare(key: z, result: .equal, target: .create(0))))
        #expect(try holds(f, Compare(key: z, result: .equal, target: .mod(0))))
        #expect(try holds(f, Compare(key: z, result: .equal, target: .lease(0))))
        #expect(try holds(f, Compare(key: z, result: .less, target: .mod(1))))
        #expect(try !holds(f, Compare(key: z, result: .equal, target: .value([]))))
        #expect(try !holds(f, Compare(key: z, result: .notEqual, target: .value(utf8("q")))))
        try f.delete("b")
        #expect(try holds(f, Compare(key: utf8("b"), result: .equal, target: .version(0))))
    }

    @Test("a compare over a range holds only if it holds for every existing key in it")
    func rangeCompares() throws {
        let f = try fixture()
        let all = (key: utf8("a"), end: utf8("c"))
        #expect(try holds(f, Compare(key: all.key, rangeEnd: all.end, result: .greater, target: .create(1))))
        #expect(try !holds(f, Compare(key: all.key, rangeEnd: all.end, result: .greater, target: .create(2))))
        #expect(try holds(f, Compare(key: all.key, rangeEnd: all.end, result: .greater, target: .value(utf8("a")))))
        #expect(try !holds(f, Compare(key: all.key, rangeEnd: all.end, result: .equal, target: .lease(5))))
        // Missing keys inside a non-empty range are not compared.
        #expect(try holds(f, Compare(key: utf8("a"), rangeEnd: [0], result: .greater, target: .version(0))))
        #expect(try holds(f, Compare(key: utf8("c"), rangeEnd: [0], result: .equal, target: .version(0))))
    }

    @Test("the branch taken depends on all compares; responses follow the operations")
    func branches() throws {
        let f = try fixture()
        let request = TxnRequest(
            compare: [
                Compare(key: utf8("a"), result: .equal, target: .value(utf8("m"))),
                Compare(key: utf8("b"), result: .equal, target: .version(1)),
            ],
            success: [
                .put(PutRequest(key: utf8("c"), value: utf8("ok"), prevKV: true)),
                .range(RangeRequest(key: utf8("c"))),
                .deleteRange(DeleteRangeRequest(key: utf8("b"), prevKV: true)),
                .range(RangeRequest(key: utf8("a"), rangeEnd: [0], countOnly: true)),
            ],
            failure: [.put(PutRequest(key: utf8("d"), value: utf8("no")))]
        )
        let response = try f.txn(request)
        #expect(response.succeeded)
        #expect(response.responses.count == 4)
        guard case .put(let put) = response.responses[0], case .range(let read) = response.responses[1],
            case .deleteRange(let delete) = response.responses[2], case .range(let count) = response.responses[3]
        else {
            Issue.record("unexpected responses \(response.responses)")
            return
        }
        #expect(put.prevKV == nil)
        // A read inside the txn sees the txn's earlier put, at the txn's revision.
        #expect(read.kvs.first?.value == utf8("ok") && read.kvs.first?.modRevision == 5)
        #expect(delete.deleted == 1 && delete.prevKVs.first?.value == utf8("x"))
        #expect(count.count == 2)
        #expect(try f.get("d") == nil)

        let failed = try f.txn(request)
        #expect(!failed.succeeded)
        #expect(try f.get("d")?.value == utf8("no"))
        #expect(f.store.currentRevision == 6)
    }

    @Test("nested txns: compares are evaluated before any write, and the nested branch runs in the same revision")
    func nestedTxn() throws {
        let f = try fixture()
        let nested = TxnRequest(
            compare: [Compare(key: utf8("n"), result: .equal, target: .version(0))],
            success: [.put(PutRequest(key: utf8("inner-success"), value: utf8("1")))],
            failure: [.put(PutRequest(key: utf8("inner-failure"), value: utf8("1")))]
        )
        let response = try f.txn(
            TxnRequest(success: [.put(PutRequest(key: utf8("n"), value: utf8("1"))), .txn(nested)])
        )
        #expect(response.succeeded)
        guard case .txn(let inner) = response.responses[1] else {
            Issue.record("expected a nested txn response")
            return
        }
        // The nested compare saw the state before the outer put of n.
        #expect(inner.succeeded)
        #expect(try f.get("inner-success")?.modRevision == 5)
        #expect(try f.get("n")?.modRevision == 5)
        #expect(try f.get("inner-failure") == nil)
        #expect(f.store.currentRevision == 5)
    }

    @Test("a txn writing one key twice in a branch is refused; then/else branches may share keys")
    func duplicateKeys() throws {
        let f = try fixture()
        func put(_ key: String) -> RequestOp { .put(PutRequest(key: utf8(key), value: utf8("v"))) }
        func delete(_ key: String, _ end: String = "") -> RequestOp {
            .deleteRange(DeleteRangeRequest(key: utf8(key), rangeEnd: utf8(end)))
        }
        let refused: [TxnRequest] = [
            TxnRequest(success: [put("k"), put("k")]),
            TxnRequest(failure: [put("k"), put("k")]),
            TxnRequest(success: [put("k"), delete("a", "z")]),
            TxnRequest(success: [delete("k"), put("k")]),
            TxnRequest(success: [put("k"), delete("a", "\u{0}")]),
            TxnRequest(success: [put("k"), .txn(TxnRequest(success: [put("k")]))]),
            TxnRequest(success: [.txn(TxnRequest(success: [put("k")])), .txn(TxnRequest(failure: [put("k")]))]),
            TxnRequest(success: [delete("j", "l"), .txn(TxnRequest(success: [put("k")]))]),
        ]
        for request in refused {
            #expect(throws: MVCCError.duplicateKeyInTxn) { try f.txn(request) }
        }
        #expect(f.store.currentRevision == 4)
        let allowed: [TxnRequest] = [
            TxnRequest(success: [put("k")], failure: [put("k")]),
            TxnRequest(success: [.txn(TxnRequest(success: [put("k")], failure: [put("k")]))]),
            TxnRequest(success: [delete("k"), delete("a", "z")]),
            TxnRequest(success: [put("k"), put("l"), .range(RangeRequest(key: utf8("k")))]),
        ]
        for request in allowed {
            _ = try f.txn(request)
        }
    }

    @Test("inside a txn, ignore flags need an existing key, leases must exist, and reads must be in range")
    func txnChecks() throws {
        let f = try fixture()
        #expect(throws: MVCCError.keyNotFoundForIgnore) {
            try f.txn(TxnRequest(success: [.put(PutRequest(key: utf8("zz"), ignoreValue: true))]))
        }
        #expect(throws: MVCCError.leaseNotFound(9)) {
            try f.txn(TxnRequest(success: [.put(PutRequest(key: utf8("zz"), value: utf8("1"), lease: 9))]))
        }
        #expect(throws: MVCCError.futureRevision(requested: 5, current: 4)) {
            try f.txn(
                TxnRequest(success: [
                    .put(PutRequest(key: utf8("zz"))), .range(RangeRequest(key: utf8("a"), revision: 5)),
                ])
            )
        }
        #expect(throws: MVCCError.emptyKey) {
            try f.txn(TxnRequest(failure: [.range(RangeRequest(key: []))]))
        }
        #expect(throws: MVCCError.valueProvided) {
            try f.txn(TxnRequest(success: [.put(PutRequest(key: utf8("a"), value: utf8("1"), ignoreValue: true))]))
        }
        // Checks apply to the branch taken only.
        let fine = try f.txn(
            TxnRequest(
                compare: [Compare(key: utf8("a"), result: .equal, target: .version(2))],
                failure: [.put(PutRequest(key: utf8("zz"), ignoreValue: true))]
            )
        )
        #expect(fine.succeeded)
        #expect(try f.get("zz") == nil)
        #expect(f.store.currentRevision == 4)
        let ignore = try f.txn(
            TxnRequest(success: [.put(PutRequest(key: utf8("a"), ignoreValue: true, ignoreLease: true))])
        )
        #expect(ignore.succeeded)
        let a = try #require(try f.get("a"))
        #expect(a.value == utf8("m") && a.lease == 5 && a.version == 3)
    }
}
