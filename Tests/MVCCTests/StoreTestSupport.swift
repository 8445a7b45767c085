import Foundation
import LMDB
import Testing

@testable import MVCC

/// Opens a store at `path` (created if needed) with settings for fast tests: a small map and no fsync
/// (closing and reopening within the process still sees every commit).
func makeTestStore(at path: String) throws -> MVCCStore {
    let environment = try Environment(
        path: path,
        configuration: EnvironmentConfiguration(mapSize: 1 << 28, durability: .noSync)
    )
    return try MVCCStore(environment: environment)
}

func utf8(_ string: String) -> [UInt8] { Array(string.utf8) }

/// A store in a temporary directory, removed on release, with shorthands for one-entry batches.
final class StoreFixture {
    let directory: String
    private(set) var store: MVCCStore
    private(set) var appliedIndex: UInt64 = 0

    init() throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("mvcc-\(UUID().uuidString)").path
        store = try makeTestStore(at: directory)
    }

    deinit {
        store.environment.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Closes the environment and opens the store again from disk.
    func reopen() throws {
        store.environment.close()
        store = try makeTestStore(at: directory)
    }

    /// One batch; returns the body's result and the batch's events.
    @discardableResult
    func write<R>(_ body: (inout MVCCWriteBatch) throws -> R) throws -> (result: R, events: [Event]) {
        appliedIndex += 1
        return try store.write(consistentIndex: appliedIndex, body)
    }

    /// Puts `key`; returns the revision after.
    @discardableResult
    func put(_ key: String, _ value: String, lease: Int64 = 0) throws -> Int64 {
        try write { batch in _ = try batch.put(PutRequest(key: utf8(key), value: utf8(value), lease: lease)) }
        return store.currentRevision
    }

    @discardableResult
    func delete(_ key: String, rangeEnd: [UInt8] = []) throws -> DeleteRangeResponse {
        try write { batch in try batch.deleteRange(DeleteRangeRequest(key: utf8(key), rangeEnd: rangeEnd)) }.result
    }

    @discardableResult
    func txn(_ request: TxnRequest) throws -> TxnResponse {
        try write { batch in try batch.txn(request) }.result
    }

    func compact(_ revision: Int64) throws {
        try write { batch in try batch.compact(revision) }
    }

    func grant(_ id: Int64, ttl: Int64 = 60) throws {
        try write { batch in try batch.grantLease(id: id, ttl: ttl) }
    }

    /// The key's state at `revision` (0: current), nil if it does not exist then.
    func get(_ key: String, at revision: Int64 = 0) throws -> KeyValue? {
        let response = try store.range(RangeRequest(key: utf8(key), revision: revision))
        return response.kvs.first
    }

    /// Keys of a range response, as strings.
    func keys(_ request: RangeRequest) throws -> [String] {
        try store.range(request).kvs.map { String(decoding: $0.key, as: UTF8.self) }
    }
}

extension Array where Element == KeyValue {
    var keyStrings: [String] { map { String(decoding: $0.key, as: UTF8.self) } }
}

extension Array where Element == Event {
    var keyStrings: [String] { map { String(decoding: $0.kv.key, as: UTF8.self) } }
}
