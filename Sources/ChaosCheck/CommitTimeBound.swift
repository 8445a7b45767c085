/// The latest time by which each revision was certainly committed: revision r was committed before any answer
/// whose header revision is r or more arrived, so the earliest such answer bounds it. An operation invoked after
/// that bound cannot have made revision r.
struct CommitTimeBound {
    private let revisions: [Int64]
    /// `earliestFrom[i]`: the earliest completion among answers `i...` in revision order.
    private let earliestFrom: [UInt64]

    init(_ records: [HistoryRecord]) {
        let answered = records.compactMap { record in
            record.response.map { (revision: $0.revision, complete: record.completeNanos) }
        }.sorted { $0.revision < $1.revision }
        var earliest = Array(repeating: UInt64.max, count: answered.count + 1)
        for index in answered.indices.reversed() {
            earliest[index] = min(earliest[index + 1], answered[index].complete)
        }
        revisions = answered.map(\.revision)
        earliestFrom = earliest
    }

    /// The time by which `revision` was committed; `UInt64.max` when no answer shows it.
    func committedBy(_ revision: Int64) -> UInt64 {
        var low = 0
        var high = revisions.count
        while low < high {
            let middle = (low + high) / 2
            if revisions[middle] < revision { low = middle + 1 } else { high = middle }
        }
        return earliestFrom[low]
    }
}
