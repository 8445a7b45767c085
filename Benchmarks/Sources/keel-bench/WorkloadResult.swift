import Foundation

/// The outcome of one workload run, printed as text or as one line of JSON (`--json`).
///
/// `throughput` counts successful requests per second of the whole run, from the first request to the end
/// of the last. `latency` is the first series; workloads with several kinds of request (reads and writes,
/// puts and the events they cause) name each in `series`.
struct WorkloadResult: Codable, Sendable {
    let workload: String
    let endpoints: [String]
    let conns: Int
    let clients: Int
    let requests: Int
    let errors: Int
    let seconds: Double
    let throughput: Double
    let latency: LatencySummary
    var series: [String: LatencySummary]
    /// Figures particular to a workload (events per second, memory per member, ...), by name.
    var extra: [String: Double]
    /// Parameters of the run that are not in the fields above (key and value sizes, ratios, ...).
    var parameters: [String: String]
    let errorSamples: [String]

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    var lines: [String] {
        var lines = [
            String(
                format: "%@: %d requests in %.3f s: %.1f req/s (%d clients, %d conns, %d errors)",
                workload, requests, seconds, throughput, clients, conns, errors)
        ]
        for name in series.keys.sorted() {
            lines.append("  \(name) latency: \(series[name]!.text)")
        }
        for name in extra.keys.sorted() {
            lines.append(String(format: "  %@: %.3f", name, extra[name]!))
        }
        for sample in errorSamples { lines.append("  error: \(sample)") }
        return lines
    }

    /// Prints the result on standard output.
    func print(json asJSON: Bool) throws {
        if asJSON {
            say(try json())
        } else {
            for line in lines { say(line) }
        }
    }
}
