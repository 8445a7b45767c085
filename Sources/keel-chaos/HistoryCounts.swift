import ChaosCheck

/// What a history holds, counted: operations by kind and outcome, faults by kind, watch responses and events.
struct HistoryCounts {
    var operations = 0
    var operationsByKind: [String: [String: Int]] = [:]
    var faults: [String: Int] = [:]
    var watchResponses = 0
    var watchEvents = 0

    /// Counts `lines`; an operation that appears twice (same id) is counted once.
    init(_ lines: [HistoryLine]) {
        var seen: Set<Int> = []
        for line in lines {
            switch line {
            case .operation(let record):
                guard seen.insert(record.id).inserted else { continue }
                operations += 1
                let outcome: String
                switch record.outcome {
                case .ok: outcome = "ok"
                case .failed: outcome = "failed"
                case .unknown: outcome = "unknown"
                }
                operationsByKind[record.operation.kindName, default: [:]][outcome, default: 0] += 1
            case .watch(let watch):
                watchResponses += 1
                watchEvents += watch.events.count
            case .fault(let fault):
                faults[fault.kind, default: 0] += 1
            }
        }
    }
}
