import Foundation

/// The resident memory of a process, as Linux reports it in the `VmRSS` line of `/proc/PID/status`.
enum ProcessMemory {
    /// VmRSS of `pid` in bytes.
    static func residentBytes(of pid: Int32) throws -> Int {
        let path = "/proc/\(pid)/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw BenchError("cannot read \(path): no such process, or not Linux")
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            // "VmRSS:     123456 kB"
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, let kibibytes = Int(fields[1]), fields[2] == "kB" else { break }
            return kibibytes * 1024
        }
        throw BenchError("no VmRSS line in \(path)")
    }

    /// VmRSS of each pid in MiB, keyed `rssMiB.<position>` for a result's extra figures.
    static func figures(_ pids: [Int32], prefix: String = "rssMiB") throws -> [String: Double] {
        var figures: [String: Double] = [:]
        for (position, pid) in pids.enumerated() {
            figures["\(prefix).\(position)"] = Double(try residentBytes(of: pid)) / 1_048_576
        }
        return figures
    }
}
