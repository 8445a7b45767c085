import Foundation

/// CPU time (user + system) of processes, as Linux reports it in `/proc/PID/stat`, and of this process.
enum ProcessCPU {
    /// User plus system CPU seconds `pid` has used so far.
    static func seconds(of pid: Int32) throws -> Double {
        let path = "/proc/\(pid)/stat"
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else {
            throw BenchError("cannot read \(path): no such process, or not Linux")
        }
        // After "pid (comm)" come the fields from the third on; utime and stime are the 14th and 15th.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("unexpected contents of \(path)")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The sum over `pids`.
    static func seconds(of pids: [Int32]) throws -> Double {
        try pids.reduce(0) { $0 + (try seconds(of: $1)) }
    }

    /// User plus system CPU seconds this process has used so far.
    static func ownSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
