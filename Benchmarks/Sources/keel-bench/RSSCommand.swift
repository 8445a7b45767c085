import ArgumentParser
import Foundation

/// `keel-bench rss`: the resident memory (VmRSS) of running processes, e.g. each member of a cluster after
/// a data set was written.
struct RSSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rss",
        abstract: "Print the resident memory (VmRSS from /proc/PID/status) of processes."
    )

    @Option(help: "Comma-separated process ids.")
    var pids: PidList

    @Flag(help: "Print one line of JSON: {\"pid\": bytes, ...}.")
    var json = false

    func run() throws {
        var bytes: [String: Int] = [:]
        for pid in pids.pids { bytes[String(pid)] = try ProcessMemory.residentBytes(of: pid) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            say(String(decoding: try encoder.encode(bytes), as: UTF8.self))
        } else {
            for pid in pids.pids {
                say(String(format: "pid %d: %.1f MiB", pid, Double(bytes[String(pid)]!) / 1_048_576))
            }
        }
    }
}
