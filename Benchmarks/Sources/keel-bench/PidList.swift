import ArgumentParser

/// A comma-separated list of process ids.
struct PidList: Sendable, ExpressibleByArgument {
    let pids: [Int32]

    init?(argument: String) {
        let parts = argument.split(separator: ",")
        let pids = parts.compactMap { Int32($0) }
        guard !pids.isEmpty, pids.count == parts.count, pids.allSatisfy({ $0 > 0 }) else { return nil }
        self.pids = pids
    }
}
