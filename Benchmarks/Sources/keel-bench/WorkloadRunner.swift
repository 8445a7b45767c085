/// Runs `clients` workers of one workload at once until its total or duration is reached, with a progress
/// bar, and sums up what they recorded.
struct WorkloadRunner {
    let name: String
    let options: WorkloadOptions
    /// The latency series the workload records, the first being its main one.
    let series: [String]

    init(_ name: String, options: WorkloadOptions, series: [String] = ["request"]) {
        self.name = name
        self.options = options
        self.series = series
    }

    /// Runs `body` once per client (each gets its own `WorkloadWorker`) and returns the result.
    func run(_ body: @escaping @Sendable (WorkloadWorker) async throws -> Void) async throws -> WorkloadResult {
        let clock = ContinuousClock()
        let cpuPids = options.cpuPids?.pids ?? []
        let serverCPUBefore = try ProcessCPU.seconds(of: cpuPids)
        let clientCPUBefore = ProcessCPU.ownSeconds()
        let start = clock.now
        let run = WorkloadRun(options: options, seriesCount: series.count, start: start)
        let progress = ProgressBar(label: name, limit: options.limit, done: run.completed, enabled: !options.noProgress)
        let clients = options.clients
        var serverCPU = 0.0
        var clientCPU = 0.0
        let end = try await withThrowingTaskGroup(of: Void.self) { group in
            let bar = Task { await progress.run() }
            defer { bar.cancel() }
            for index in 0..<clients {
                group.addTask { try await body(WorkloadWorker(index: index, run: run)) }
            }
            try await group.waitForAll()
            let end = clock.now
            serverCPU = try ProcessCPU.seconds(of: cpuPids) - serverCPUBefore
            clientCPU = ProcessCPU.ownSeconds() - clientCPUBefore
            bar.cancel()
            await bar.value
            return end
        }
        let seconds = (end - start).milliseconds / 1000
        let summaries = run.recorders.map(\.summary)
        let succeeded = Int(summaries.reduce(0) { $0 + $1.count })
        var extra: [String: Double] = [:]
        if !cpuPids.isEmpty && succeeded > 0 {
            extra["cpuMsPerRequest.server"] = serverCPU * 1000 / Double(succeeded)
            extra["cpuMsPerRequest.client"] = clientCPU * 1000 / Double(succeeded)
        }
        return WorkloadResult(
            workload: name, endpoints: options.endpoints.endpoints.map(\.description), conns: options.conns,
            clients: clients, requests: succeeded, errors: run.errors.value, seconds: seconds,
            throughput: seconds > 0 ? Double(succeeded) / seconds : 0, latency: summaries[0],
            series: Dictionary(uniqueKeysWithValues: zip(series, summaries)), extra: extra,
            parameters: [
                "keySize": String(options.keySize), "valSize": String(options.valSize),
                "keySpaceSize": String(options.keySpaceSize), "sequentialKeys": String(options.sequentialKeys),
                "rate": String(options.rate), "target": options.target.rawValue,
            ],
            errorSamples: run.errorSummary)
    }
}
