import Foundation

/// The outcome of a `keel-bench failover` run, as printed (text) or written (`--json`).
struct FailoverResult: Codable, Sendable {
    /// One SIGKILL of the leader and what followed it.
    struct Kill: Codable, Sendable {
        let number: Int
        /// The name of the member that was leader and was killed.
        let killedMember: String
        /// From the SIGKILL to the acknowledgement of the first put issued after it.
        let windowMilliseconds: Double
        /// The client address of the member that acknowledged that put.
        let acknowledgedBy: String
        /// From restarting the killed member to it having caught up under an agreed leader.
        let rejoinMilliseconds: Double
    }

    let server: String
    let serverVersion: String
    let binary: String
    let heartbeatIntervalMilliseconds: Int
    let electionTimeoutMilliseconds: Int
    let putTimeoutMilliseconds: Int
    let kills: [Kill]
    let minMilliseconds: Double
    let p50Milliseconds: Double
    let p90Milliseconds: Double
    let p99Milliseconds: Double
    let maxMilliseconds: Double
    /// 2 × election timeout + 200 ms.
    let boundMilliseconds: Double
    let p99MeetsBound: Bool

    init(
        server: ServerKind, serverVersion: String, binary: String, heartbeatInterval: Int, electionTimeout: Int,
        putTimeout: Int, kills: [Kill]
    ) {
        self.server = server.rawValue
        self.serverVersion = serverVersion
        self.binary = binary
        heartbeatIntervalMilliseconds = heartbeatInterval
        electionTimeoutMilliseconds = electionTimeout
        putTimeoutMilliseconds = putTimeout
        self.kills = kills
        let summary = Summary(kills.map { Duration.microseconds(Int64(($0.windowMilliseconds * 1000).rounded())) })
        minMilliseconds = summary.min.milliseconds
        p50Milliseconds = summary.percentile(50).milliseconds
        p90Milliseconds = summary.percentile(90).milliseconds
        p99Milliseconds = summary.percentile(99).milliseconds
        maxMilliseconds = summary.max.milliseconds
        boundMilliseconds = Double(2 * electionTimeout + 200)
        p99MeetsBound = p99Milliseconds <= boundMilliseconds
    }

    /// The summary lines of the text output.
    var summaryLines: [String] {
        let verdict = p99MeetsBound ? "meets" : "EXCEEDS"
        return [
            "\(server) (Status version \(serverVersion)) leader failover over \(kills.count) kills (heartbeat "
                + "\(heartbeatIntervalMilliseconds) ms, election timeout \(electionTimeoutMilliseconds) ms): "
                + "writes accepted again after min \(Self.text(minMilliseconds)) ms, p50 \(Self.text(p50Milliseconds)) ms, "
                + "p90 \(Self.text(p90Milliseconds)) ms, p99 \(Self.text(p99Milliseconds)) ms, "
                + "max \(Self.text(maxMilliseconds)) ms",
            "bound 2 × election timeout + 200 ms = \(Self.text(boundMilliseconds)) ms: p99 \(verdict) it",
        ]
    }

    /// The result as one line of JSON.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func text(_ milliseconds: Double) -> String {
        String(format: "%.1f", milliseconds)
    }
}
