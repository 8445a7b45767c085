import Foundation
import RaftTestKit
import Testing

/// Replays `testdata/raft/*.txt` and compares each command's output with the transcript stored there.
/// `KEEL_RAFT_REWRITE=1` rewrites the files with the actual output instead.
@Suite("Scenarios")
struct ScenarioTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("testdata/raft")

    static var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test("scenario transcripts match", arguments: files)
    func scenario(_ name: String) throws {
        let url = Self.directory.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        let (actual, mismatches) = ScenarioScript(parsing: text).run()
        if ProcessInfo.processInfo.environment["KEEL_RAFT_REWRITE"] == "1" {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        for mismatch in mismatches.prefix(1) {
            Issue.record(
                """
                \(name): output of `\(mismatch.command)` differs (rewrite with KEEL_RAFT_REWRITE=1)
                expected:
                \(mismatch.expected)
                actual:
                \(mismatch.actual)
                """)
        }
    }

    @Test("there are scenarios")
    func scenariosExist() {
        #expect(Self.files.count >= 5)
    }
}
