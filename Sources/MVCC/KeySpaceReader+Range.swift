import LMDB

extension KeySpaceReader {
    /// Answers a range request as etcd 3.4 does (mvcc `rangeKeys` plus the server's `Range`): `count` is the
    /// number of keys in the range at the revision read; the revision filters, sorting and `limit` then apply
    /// to the returned keys, and `more` says whether `limit` cut some off.
    ///
    /// `currentRevision` is the revision a request with `revision == 0` reads at.
    func range(_ request: RangeRequest, currentRevision: Int64, compactedRevision: Int64) throws -> RangeResponse {
        guard !request.key.isEmpty else { throw MVCCError.emptyKey }
        if request.revision > currentRevision {
            throw MVCCError.futureRevision(requested: request.revision, current: currentRevision)
        }
        let revision = request.revision <= 0 ? currentRevision : request.revision
        if revision < compactedRevision {
            throw MVCCError.compacted(requested: revision, compactedRevision: compactedRevision)
        }
        let keyRange = request.keyRange

        if request.countOnly {
            var count: Int64 = 0
            try forEachLiveKey(in: keyRange, at: revision) { _, _ in
                count += 1
                return true
            }
            return RangeResponse(kvs: [], more: false, count: count)
        }

        var order = request.sortOrder
        if request.sortTarget != .key && order == .none { order = .ascend }
        let limit = request.limit > 0 ? Int(request.limit) : Int.max
        let filter = RevisionFilter(request)

        if request.sortTarget == .key && order != .descend {
            return try rangeInKeyOrder(keyRange, at: revision, limit: limit, filter: filter, request.keysOnly)
        }
        return try rangeSorted(request, keyRange, at: revision, order: order, limit: limit, filter: filter)
    }

    /// Keys come out of the index already in ascending order: read values only for the keys returned (plus
    /// one to know whether there are more), and only count the rest.
    private func rangeInKeyOrder(
        _ keyRange: KeyRange,
        at revision: Int64,
        limit: Int,
        filter: RevisionFilter,
        _ keysOnly: Bool
    ) throws -> RangeResponse {
        var count: Int64 = 0
        var kvs: [KeyValue] = []
        try forEachLiveKey(in: keyRange, at: revision) { _, entry in
            count += 1
            guard kvs.count <= limit, filter.admitsMod(entry.revision.main) else { return true }
            let kv = try keyValue(at: entry.revision, includeValue: !keysOnly)
            if filter.admitsCreate(kv.createRevision) { kvs.append(kv) }
            return true
        }
        let more = kvs.count > limit
        if more { kvs.removeLast(kvs.count - limit) }
        return RangeResponse(kvs: kvs, more: more, count: count)
    }

    /// Any other order: collect every matching key, sort, then cut at `limit` (what etcd does too).
    private func rangeSorted(
        _ request: RangeRequest,
        _ keyRange: KeyRange,
        at revision: Int64,
        order: RangeRequest.SortOrder,
        limit: Int,
        filter: RevisionFilter
    ) throws -> RangeResponse {
        struct Candidate {
            var key: [UInt8]
            var revision: Revision
            var kv: KeyValue?
        }
        let target = request.sortTarget
        // Sorting by key or mod revision needs only the index; the other targets need the records.
        let needsRecord = target == .version || target == .create || target == .value || filter.hasCreateBounds
        var count: Int64 = 0
        var candidates: [Candidate] = []
        try forEachLiveKey(in: keyRange, at: revision) { key, entry in
            count += 1
            guard filter.admitsMod(entry.revision.main) else { return true }
            var candidate = Candidate(key: [UInt8](key), revision: entry.revision, kv: nil)
            if needsRecord {
                let kv = try keyValue(at: entry.revision, includeValue: target == .value)
                guard filter.admitsCreate(kv.createRevision) else { return true }
                candidate.kv = kv
            }
            candidates.append(candidate)
            return true
        }

        // Ties are broken by key, so that the order is the same on every member.
        func ascending(_ a: Candidate, _ b: Candidate) -> Int {
            switch target {
            case .key: return 0
            case .mod: return a.revision.main == b.revision.main ? 0 : (a.revision.main < b.revision.main ? -1 : 1)
            case .version: return Self.compare(a.kv!.version, b.kv!.version)
            case .create: return Self.compare(a.kv!.createRevision, b.kv!.createRevision)
            case .value: return compareBytes(a.kv!.value, b.kv!.value)
            }
        }
        let descending = order == .descend
        candidates.sort { a, b in
            let c = ascending(a, b)
            if c != 0 { return descending ? c > 0 : c < 0 }
            let k = compareBytes(a.key, b.key)
            return target == .key && descending ? k > 0 : k < 0
        }

        let more = candidates.count > limit
        if more { candidates.removeLast(candidates.count - limit) }
        var kvs: [KeyValue] = []
        kvs.reserveCapacity(candidates.count)
        for candidate in candidates {
            if var kv = candidate.kv, request.keysOnly || target == .value {
                if request.keysOnly { kv.value = [] }
                kvs.append(kv)
            } else {
                kvs.append(try keyValue(at: candidate.revision, includeValue: !request.keysOnly))
            }
        }
        return RangeResponse(kvs: kvs, more: more, count: count)
    }

    private static func compare(_ a: Int64, _ b: Int64) -> Int {
        a == b ? 0 : (a < b ? -1 : 1)
    }
}

/// The min/max mod/create revision bounds of a range request; 0 means no bound.
private struct RevisionFilter {
    var minMod: Int64
    var maxMod: Int64
    var minCreate: Int64
    var maxCreate: Int64

    init(_ request: RangeRequest) {
        minMod = request.minModRevision
        maxMod = request.maxModRevision
        minCreate = request.minCreateRevision
        maxCreate = request.maxCreateRevision
    }

    var hasCreateBounds: Bool { minCreate != 0 || maxCreate != 0 }

    func admitsMod(_ mod: Int64) -> Bool {
        (maxMod == 0 || mod <= maxMod) && (minMod == 0 || mod >= minMod)
    }

    func admitsCreate(_ create: Int64) -> Bool {
        (maxCreate == 0 || create <= maxCreate) && (minCreate == 0 || create >= minCreate)
    }
}
