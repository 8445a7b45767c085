import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension ClusterTests {
    /// The benchmark harness end to end at tiny sizes: three Keel and three etcd members, every cell of the
    /// matrix, tables printed. It checks that the harness works, not the speed (this is a debug build).
    @Test(
        "scripts/bench-vs-etcd --quick runs every cell against Keel and etcd",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd"), "etcd 3.4 is not installed"),
        .timeLimit(.minutes(8)))
    func benchHarnessSmoke() async throws {
        try #require(KeelBinary.isBuilt, "\(KeelBinary.missingMessage)")
        let directory = URL(fileURLWithPath: KeelBinary.path).deletingLastPathComponent()
        let bench = directory.appendingPathComponent("keel-bench").path
        try #require(FileManager.default.isExecutableFile(atPath: bench), "keel-bench not built at \(bench)")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "keel-bench-smoke-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let script = try ChildProcess.start(
            "/usr/bin/env",
            ["python3", root.appendingPathComponent("scripts/bench-vs-etcd").path, "--quick", "--no-docs",
                "--build-dir", directory.path],
            outputFile: output)
        let finished = await script.waitForExit(within: .seconds(420))
        if !finished {
            // The script stops every server it started when it is terminated.
            script.send(SIGTERM)
            _ = await script.waitForExit(within: .seconds(15))
            await script.kill()
        }
        let printed = script.output
        #expect(finished, "scripts/bench-vs-etcd --quick did not finish in time:\n\(printed)")
        #expect(script.termination?.status == 0, "scripts/bench-vs-etcd --quick failed:\n\(printed)")
        #expect(printed.contains("put"), "no tables printed:\n\(printed)")
    }
}
