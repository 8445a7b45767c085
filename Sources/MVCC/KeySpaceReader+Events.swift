import LMDB

extension KeySpaceReader {
    /// The changes with main revision in [from, through] to keys of `range`, in revision order, stopping
    /// after `limitRevisions` revisions that have matching changes (0: no limit). See `MVCCStore.events`.
    func events(from: Int64, through: Int64, range: KeyRange, prevKV: Bool, limitRevisions: Int) throws -> [Event] {
        let start = max(from, 1)
        guard start <= through else { return [] }
        var events: [Event] = []
        var revisionsTaken = 0
        var lastMain: Int64 = -1
        try txn.withCursor(databases.history) { cursor in
            var found = try cursor.seek(atLeast: Revision(main: start).bytes)
            while found {
                let stop = try cursor.withCurrent { rawRevision, rawRecord -> Bool in
                    let revision = Revision(decoding: rawRevision)
                    if revision.main > through { return true }
                    let record = try HistoryRecord(decoding: rawRecord)
                    guard range.contains(record.key) else { return false }
                    if revision.main != lastMain {
                        if limitRevisions > 0 && revisionsTaken == limitRevisions { return true }
                        revisionsTaken += 1
                        lastMain = revision.main
                    }
                    var event: Event
                    if record.isTombstone {
                        event = Event(kind: .delete, kv: KeyValue(key: [UInt8](record.key), modRevision: revision.main))
                    } else {
                        event = Event(kind: .put, kv: record.keyValue(modRevision: revision.main, includeValue: true))
                    }
                    if prevKV {
                        event.prevKV = try previousKeyValue(event.kv.key, before: revision)
                    }
                    events.append(event)
                    return false
                }
                if stop { break }
                found = try cursor.next()
            }
        }
        return events
    }

    /// The key's state just before the change at `revision`, nil if it did not exist (or that part of its
    /// history is compacted away).
    func previousKeyValue(_ key: [UInt8], before revision: Revision) throws -> KeyValue? {
        let indexKey = IndexKey.of(key)
        let entry: IndexEntry? = try txn.withCursor(databases.keyIndex) { cursor in
            let positioned: Bool
            if try cursor.seek(to: indexKey, valueAtLeast: revision.bytes) {
                positioned = try cursor.previousDuplicate()
            } else {
                positioned = try cursor.seek(to: indexKey) && cursor.lastDuplicate()
            }
            guard positioned else { return nil }
            let entry = try cursor.withCurrent { _, value in try IndexEntry(decoding: value) }
            return entry.revision < revision ? entry : nil
        }
        guard let entry, !entry.isTombstone else { return nil }
        return try keyValue(at: entry.revision, includeValue: true)
    }
}
