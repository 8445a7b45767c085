extension HistoryRecord {
    /// The response when the outcome is ok.
    var response: HistoryResponse? {
        if case .ok(let response) = outcome { return response }
        return nil
    }

    /// For an ok read (get or range): whether it was serializable; nil for anything else.
    var okReadIsSerializable: Bool? {
        guard response != nil else { return nil }
        switch operation {
        case .get(_, let serializable), .range(_, _, let serializable): return serializable
        case .put, .delete, .compareAndSet, .multiPut, .leaseGrant, .leaseRevoke: return nil
        }
    }

    /// The keys an ok read covers: a get's key, or a range's keys among `known` plus those it returned.
    func readKeys(known: [String]) -> [String] {
        switch operation {
        case .get(let key, _):
            return [key]
        case .range(let start, let end, _):
            var keys = Set(known.filter { KeySpace.range(start: start, end: end, contains: $0) })
            for kv in response?.kvs ?? [] { keys.insert(kv.key) }
            return keys.sorted(by: KeySpace.precedes)
        case .put, .delete, .compareAndSet, .multiPut, .leaseGrant, .leaseRevoke:
            return []
        }
    }
}
