import LMDB

extension KeySpaceWriter {
    /// Runs a txn as etcd 3.4's applier does: the request is checked first (keys given, no key written twice
    /// in a branch); then every compare of the path taken, nested txns included, is evaluated against the
    /// state before the txn; then the puts and ranges of that path are checked; only then are the operations
    /// applied in order, sharing one revision.
    mutating func txn(_ request: TxnRequest) throws -> TxnResponse {
        try Self.validate(request)
        var path: [Bool] = []
        try evaluateCompares(request, into: &path)
        var index = 0
        try checkPuts(request, path: path, index: &index)
        index = 0
        try checkRanges(request, path: path, index: &index)
        index = 0
        return try apply(request, path: path, index: &index)
    }

    // MARK: Checks without reading

    static func validate(_ request: TxnRequest) throws {
        for op in request.success + request.failure {
            switch op {
            case .range(let range):
                guard !range.key.isEmpty else { throw MVCCError.emptyKey }
            case .put(let put):
                try validate(put)
            case .deleteRange(let delete):
                guard !delete.key.isEmpty else { throw MVCCError.emptyKey }
            case .txn(let nested):
                try validate(nested)
            }
        }
        _ = try writtenKeys(request.success)
        _ = try writtenKeys(request.failure)
    }

    /// The keys put and the ranges deleted by a branch, at any depth; throws `.duplicateKeyInTxn` when a key
    /// is put twice, or put and deleted, by operations that can both run (etcd's `checkIntervals`).
    private static func writtenKeys(_ ops: [RequestOp]) throws -> (puts: Set<[UInt8]>, deletes: [KeyRange]) {
        var deletes: [KeyRange] = []
        for case .deleteRange(let delete) in ops {
            deletes.append(delete.keyRange)
        }
        func isDeleted(_ key: [UInt8]) -> Bool {
            deletes.contains { $0.contains(key) }
        }
        var puts: Set<[UInt8]> = []
        for case .txn(let nested) in ops {
            let success = try writtenKeys(nested.success)
            let failure = try writtenKeys(nested.failure)
            for key in success.puts {
                if puts.contains(key) || isDeleted(key) { throw MVCCError.duplicateKeyInTxn }
                puts.insert(key)
            }
            for key in failure.puts {
                // The two branches of one txn never both run, so they may write the same key.
                if puts.contains(key) && !success.puts.contains(key) { throw MVCCError.duplicateKeyInTxn }
                if isDeleted(key) { throw MVCCError.duplicateKeyInTxn }
                puts.insert(key)
            }
            deletes += success.deletes + failure.deletes
        }
        for case .put(let put) in ops {
            if puts.contains(put.key) || isDeleted(put.key) { throw MVCCError.duplicateKeyInTxn }
            puts.insert(put.key)
        }
        return (puts, deletes)
    }

    // MARK: Compares

    /// Appends, depth first, whether each txn on the path taken succeeds (etcd's `compareToPath`).
    private func evaluateCompares(_ request: TxnRequest, into path: inout [Bool]) throws {
        var succeeded = true
        for compare in request.compare where try !holds(compare) {
            succeeded = false
            break
        }
        path.append(succeeded)
        for case .txn(let nested) in succeeded ? request.success : request.failure {
            try evaluateCompares(nested, into: &path)
        }
    }

    private func holds(_ compare: Compare) throws -> Bool {
        var includeValue = false
        if case .value = compare.target { includeValue = true }
        let kvs = try reader.liveKeyValues(in: compare.keyRange, at: readRevision, includeValue: includeValue)
        if kvs.isEmpty {
            // A missing key has no value to compare; its revisions, version and lease compare as zero.
            if includeValue { return false }
            return compare.holds(for: KeyValue(key: compare.key))
        }
        return kvs.allSatisfy(compare.holds(for:))
    }

    // MARK: Checks against the state before the txn

    private func checkPuts(_ request: TxnRequest, path: [Bool], index: inout Int) throws {
        let succeeded = path[index]
        index += 1
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .txn(let nested):
                try checkPuts(nested, path: path, index: &index)
            case .put(let put):
                if put.ignoreValue || put.ignoreLease {
                    guard let entry = try reader.latestEntry(put.key), !entry.isTombstone else {
                        throw MVCCError.keyNotFoundForIgnore
                    }
                }
                if put.lease != 0, try reader.lease(put.lease) == nil {
                    throw MVCCError.leaseNotFound(put.lease)
                }
            case .range, .deleteRange:
                break
            }
        }
    }

    private func checkRanges(_ request: TxnRequest, path: [Bool], index: inout Int) throws {
        let succeeded = path[index]
        index += 1
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .txn(let nested):
                try checkRanges(nested, path: path, index: &index)
            case .range(let range):
                if range.revision > baseRevision {
                    throw MVCCError.futureRevision(requested: range.revision, current: baseRevision)
                }
                if range.revision > 0 && range.revision < compactedRevision {
                    throw MVCCError.compacted(requested: range.revision, compactedRevision: compactedRevision)
                }
            case .put, .deleteRange:
                break
            }
        }
    }

    // MARK: Applying

    private mutating func apply(_ request: TxnRequest, path: [Bool], index: inout Int) throws -> TxnResponse {
        let succeeded = path[index]
        index += 1
        var responses: [ResponseOp] = []
        for op in succeeded ? request.success : request.failure {
            switch op {
            case .range(let range):
                let response = try reader.range(
                    range,
                    currentRevision: readRevision,
                    compactedRevision: compactedRevision
                )
                responses.append(.range(response))
            case .put(let put):
                responses.append(.put(try applyPut(put)))
            case .deleteRange(let delete):
                responses.append(.deleteRange(try deleteRange(delete)))
            case .txn(let nested):
                responses.append(.txn(try apply(nested, path: path, index: &index)))
            }
        }
        return TxnResponse(succeeded: succeeded, responses: responses)
    }
}
