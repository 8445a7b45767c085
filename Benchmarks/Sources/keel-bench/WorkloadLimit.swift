/// How long a workload runs.
enum WorkloadLimit: Sendable {
    case requests(Int)
    case duration(Duration)
}
