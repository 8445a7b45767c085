import LMDB
import Testing

@testable import MVCC

/// Everything a reader can observe of a store, to compare two stores (or one store before and after).
private struct Observation: Equatable {
    var currentRevision: Int64
    var compactedRevision: Int64
    var consistentIndex: UInt64
    var hash: UInt32
    var hashKV: UInt32
    /// Every live key at each readable revision, in key order.
    var ranges: [[KeyValue]]
    /// Every event from the compacted revision on, with previous states.
    var events: [Event]
    var leases: [LeaseRecord]
    var leaseKeys: [[[UInt8]]]

    init(_ store: MVCCStore) throws {
        currentRevision = store.currentRevision
        compactedRevision = store.compactedRevision
        consistentIndex = store.consistentIndex
        hash = try store.hash()
        hashKV = try store.hashKV(revision: 0).hash
        ranges = try (max(store.compactedRevision, 1)...store.currentRevision).map { revision in
            try store.range(RangeRequest(key: [0], rangeEnd: [0], revision: revision)).kvs
        }
        events = try store.events(
            from: store.compactedRevision,
            through: store.currentRevision,
            range: .all,
            prevKV: true,
            limitRevisions: 0
        )
        leases = try store.leases().sorted { $0.id < $1.id }
        leaseKeys = try leases.map { try store.keys(attachedTo: $0.id) }
    }
}

/// Keys longer than LMDB's key limit, sharing their first 479 bytes (one group of the key index).
private let longKeys: [[UInt8]] = (0..<3).map { [UInt8](repeating: UInt8(ascii: "l"), count: 600) + utf8("\($0)") }

/// A store with history of every kind: puts, deletes, txns, long keys, leases with keys, a revoke, a
/// compaction, and free-form meta values.
private func populate(_ f: StoreFixture) throws {
    try f.grant(1, ttl: 30)
    try f.grant(2, ttl: 60)
    try f.grant(-5, ttl: 5)
    try f.put("a", "1")
    try f.put("b", "1", lease: 1)
    try f.put("c", "1", lease: -5)
    try f.write { _ = try $0.put(PutRequest(key: longKeys[0], value: utf8("long0"), lease: 2)) }
    try f.write { _ = try $0.put(PutRequest(key: longKeys[1], value: utf8("long1"))) }
    try f.put("a", "2")
    try f.delete("b")
    try f.txn(
        TxnRequest(
            compare: [Compare(key: utf8("a"), result: .equal, target: .value(utf8("2")))],
            success: [
                .put(PutRequest(key: utf8("d"), value: utf8("1"), lease: 1)),
                .deleteRange(DeleteRangeRequest(key: utf8("c"))),
                .range(RangeRequest(key: utf8("a"))),
            ]
        )
    )
    try f.compact(6)
    try f.write { _ = try $0.put(PutRequest(key: longKeys[2], value: utf8("long2"), lease: 1)) }
    try f.put("e", "1", lease: -5)
    try f.write { try $0.revokeLease(id: -5) }
    try f.put("a", "3")
    try f.write {
        try $0.setMeta("member", utf8("source"))
        try $0.setMeta("cluster", utf8("c-1"))
        try $0.setMeta("absent", utf8("from source"))
    }
}

/// A store with data of its own, different from `populate`'s, at a higher revision.
private func populateOther(_ f: StoreFixture) throws {
    try f.grant(99, ttl: 10)
    for i in 0..<30 { try f.put("other\(i)", "x", lease: i % 3 == 0 ? 99 : 0) }
    try f.write { _ = try $0.put(PutRequest(key: longKeys[0], value: utf8("mine"))) }
    try f.compact(5)
    try f.write { try $0.setMeta("member", utf8("target")) }
}

@Suite("State transfer")
struct StateTransferTests {
    @Test("an exported state installed in a fresh store reads exactly as the source")
    func exportAndInstall() throws {
        let source = try StoreFixture()
        try populate(source)
        #expect(source.store.compactedRevision == 6)
        let expected = try Observation(source.store)
        let payload = try source.store.exportState()

        let target = try StoreFixture()
        try target.write { try $0.setMeta("member", utf8("target")) }
        let raftLog = try target.store.environment.openDatabase("raftlog", flags: .create)
        try target.store.replaceState(with: payload, preservingMeta: ["member", "absent"]) { txn in
            try txn.put(raftLog, key: utf8("snapshot"), value: utf8("installed"))
        }

        #expect(try Observation(target.store) == expected)
        #expect(target.store.currentRevision == source.store.currentRevision)
        #expect(target.store.compactedRevision == 6)
        #expect(target.store.consistentIndex == source.store.consistentIndex)
        for revision in [Int64(7), 8, 10, source.store.currentRevision] {
            #expect(try target.store.hashKV(revision: revision) == source.store.hashKV(revision: revision))
        }
        #expect(throws: MVCCError.compacted(requested: 5, compactedRevision: 6)) {
            try target.store.range(RangeRequest(key: utf8("a"), revision: 5))
        }
        #expect(try target.store.range(RangeRequest(key: longKeys[0])).kvs.first?.value == utf8("long0"))
        #expect(try target.store.keys(attachedTo: 1) == [utf8("d"), longKeys[2]])
        #expect(try target.store.keys(attachedTo: 2) == [longKeys[0]])
        #expect(try target.store.lease(-5) == nil)
        // The preserved name keeps its local value; a preserved name the target lacked, and every other
        // name, come from the payload.
        #expect(try target.store.getMeta("member") == utf8("target"))
        #expect(try target.store.getMeta("absent") == utf8("from source"))
        #expect(try target.store.getMeta("cluster") == utf8("c-1"))
        #expect(try target.store.environment.read { try $0.get(raftLog, utf8("snapshot")) } == utf8("installed"))

        // The installed state is on disk, and the store keeps working from it.
        try target.reopen()
        #expect(try Observation(target.store) == expected)
        try target.write { _ = try $0.put(PutRequest(key: utf8("a"), value: utf8("4"))) }
        try source.write { _ = try $0.put(PutRequest(key: utf8("a"), value: utf8("4"))) }
        #expect(target.store.currentRevision == source.store.currentRevision)
        #expect(try target.store.hashKV(revision: 0) == source.store.hashKV(revision: 0))
    }

    @Test("installing into a store with data of its own replaces all of it")
    func replacesExistingData() throws {
        let source = try StoreFixture()
        try populate(source)
        let expected = try Observation(source.store)
        let target = try StoreFixture()
        try populateOther(target)
        #expect(target.store.currentRevision > source.store.currentRevision)

        try target.store.replaceState(with: try source.store.exportState(), preservingMeta: []) { _ in }

        #expect(try Observation(target.store) == expected)
        #expect(try target.store.lease(99) == nil)
        #expect(try target.store.getMeta("member") == utf8("source"))
        #expect(try target.store.range(RangeRequest(key: utf8("other"), rangeEnd: utf8("otherz"))).kvs.isEmpty)
    }

    @Test("an empty store's state installs as an empty store")
    func emptyState() throws {
        let source = try StoreFixture()
        let target = try StoreFixture()
        try populateOther(target)
        try target.store.replaceState(with: try source.store.exportState(), preservingMeta: ["member"]) { _ in }
        #expect(try Observation(target.store) == Observation(source.store))
        #expect(target.store.currentRevision == 1 && target.store.compactedRevision == 0)
        #expect(target.store.consistentIndex == 0)
        #expect(try target.store.getMeta("member") == utf8("target"))
    }

    @Test("damaged, truncated, foreign and random payloads are refused and change nothing (seeded)")
    func refusesBadPayloads() throws {
        let source = try StoreFixture()
        try populate(source)
        let payload = try source.store.exportState()
        let target = try StoreFixture()
        try populateOther(target)
        let before = try Observation(target.store)
        let memberBefore = try target.store.getMeta("member")

        var bad: [[UInt8]] = []
        for position in [0, 3, 8, 9, 20, payload.count / 2, payload.count - 5, payload.count - 1] {
            var flipped = payload
            flipped[position] ^= 0x40
            bad.append(flipped)
        }
        for length in [0, 1, 8, 9, 12, 13, 40, payload.count / 2, payload.count - 4, payload.count - 1] {
            bad.append(Array(payload.prefix(length)))
        }
        bad.append(payload + [0])
        var random = SplitMix64(seed: 0xDA7A)
        for round in 0..<200 {
            var noise = (0..<random.next(below: 300)).map { _ in UInt8(random.next(below: 256)) }
            if round % 2 == 0 { noise = StateTransferPayload.magic + [StateTransferPayload.version] + noise }
            bad.append(noise)
        }
        // Well checksummed, yet malformed: a wrong section name, pairs out of order, an empty key, bytes left
        // over, a count larger than the payload.
        bad.append(sealed(section("meta") + section("wrong")))
        bad.append(sealed(section("meta", pairs: [([2], [1]), ([1], [1])])))
        bad.append(sealed(section("meta", pairs: [([1], [1]), ([1], [2])])))
        bad.append(sealed(allSections(keyIndex: [([1], [2]), ([1], [1])])))
        bad.append(sealed(section("meta", pairs: [([], [1])])))
        bad.append(sealed(allSections() + [0]))
        bad.append(sealed(section("meta", count: 1_000_000)))

        var alongsideCalls = 0
        for (index, bytes) in bad.enumerated() {
            do {
                try target.store.replaceState(with: bytes, preservingMeta: []) { _ in alongsideCalls += 1 }
                Issue.record("bad payload \(index) was accepted")
            } catch let error as MVCCError {
                guard case .invalidStatePayload = error else {
                    Issue.record("bad payload \(index): \(error)")
                    continue
                }
            }
        }
        #expect(alongsideCalls == 0)
        #expect(try Observation(target.store) == before)
        #expect(try target.store.getMeta("member") == memberBefore)
        // A well-formed payload built the same way is accepted, so the refusals above are for the reasons
        // given.
        let wellFormed = sealed(allSections(keyIndex: [([1], [1]), ([1], [2])]))
        try target.store.replaceState(with: wellFormed, preservingMeta: []) { _ in }
        #expect(target.store.currentRevision == 1)
    }

    @Test("when alongside throws, its error comes back unchanged and nothing changes")
    func alongsideFailure() throws {
        struct RaftLogFull: Error, Equatable {}
        let source = try StoreFixture()
        try populate(source)
        let target = try StoreFixture()
        try populateOther(target)
        let raftLog = try target.store.environment.openDatabase("raftlog", flags: .create)
        try target.store.environment.write { try $0.put(raftLog, key: utf8("entry"), value: utf8("old")) }
        let before = try Observation(target.store)

        #expect(throws: RaftLogFull()) {
            try target.store.replaceState(with: try source.store.exportState(), preservingMeta: ["member"]) { txn in
                try txn.put(raftLog, key: utf8("entry"), value: utf8("new"))
                throw RaftLogFull()
            }
        }
        #expect(try Observation(target.store) == before)
        #expect(try target.store.getMeta("member") == utf8("target"))
        #expect(try target.store.environment.read { try $0.get(raftLog, utf8("entry")) } == utf8("old"))
    }

    @Test("a batch that changes no key takes no revision; its transaction carries the caller's writes")
    func batchTransaction() throws {
        let f = try StoreFixture()
        try f.put("a", "1")
        let raftLog = try f.store.environment.openDatabase("raftlog", flags: .create)
        let revision = f.store.currentRevision
        let (_, events) = try f.store.write(consistentIndex: 7) { batch in
            try batch.transaction.put(raftLog, key: utf8("hard state"), value: utf8("term 3"))
        }
        #expect(events.isEmpty)
        #expect(f.store.currentRevision == revision)
        #expect(f.store.consistentIndex == 7)
        #expect(try f.store.environment.read { try $0.get(raftLog, utf8("hard state")) } == utf8("term 3"))

        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try f.store.write(consistentIndex: 8) { batch in
                try batch.transaction.put(raftLog, key: utf8("hard state"), value: utf8("term 4"))
                _ = try batch.put(PutRequest(key: utf8("b"), value: utf8("1")))
                throw Refused()
            }
        }
        #expect(f.store.consistentIndex == 7 && f.store.currentRevision == revision)
        #expect(try f.store.environment.read { try $0.get(raftLog, utf8("hard state")) } == utf8("term 3"))
    }
}

// MARK: Hand-built payloads

/// One section: the name, the pair count (`count`, or the number of pairs), the pairs.
private func section(_ name: String, pairs: [([UInt8], [UInt8])] = [], count: UInt64? = nil) -> [UInt8] {
    var out: [UInt8] = []
    out.appendVarint(UInt64(name.utf8.count))
    out.append(contentsOf: Array(name.utf8))
    out.appendBigEndian(count ?? UInt64(pairs.count))
    for (key, value) in pairs {
        out.appendVarint(UInt64(key.count))
        out.append(contentsOf: key)
        out.appendVarint(UInt64(value.count))
        out.append(contentsOf: value)
    }
    return out
}

/// The five sections, empty but for the key index.
private func allSections(keyIndex: [([UInt8], [UInt8])] = []) -> [UInt8] {
    section("meta") + section("history") + section("keyindex", pairs: keyIndex) + section("leases")
        + section("leasekeys")
}

/// Header, sections and a correct checksum.
private func sealed(_ sections: [UInt8]) -> [UInt8] {
    var out = StateTransferPayload.magic + [StateTransferPayload.version] + sections
    var crc = CRC32C()
    crc.update(out)
    withUnsafeBytes(of: crc.value.bigEndian) { out.append(contentsOf: $0) }
    return out
}

