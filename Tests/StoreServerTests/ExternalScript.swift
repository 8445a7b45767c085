import Dispatch
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs one of the package's Python test scripts (under `scripts/`) to completion and returns what it printed.
///
/// The script runs on a Dispatch thread, not on the test's cooperative pool, and is sent SIGTERM if it outlives
/// its time limit; the scripts kill the servers they started when they receive it.
enum ExternalScript {
    struct Outcome: Sendable {
        let status: Int32
        let output: String
        let timedOut: Bool
    }

    /// The directory holding Package.swift, found from this file's location (Tests/StoreServerTests/).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `$KEEL_BINARY`, or the debug build of `keel` in this package.
    static var keelBinary: String {
        if let path = ProcessInfo.processInfo.environment["KEEL_BINARY"], !path.isEmpty {
            return path
        }
        return packageRoot.appendingPathComponent(".build/debug/keel").path
    }

    static func isInstalled(_ tool: String) -> Bool {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return searchPath.split(separator: ":").contains { directory in
            FileManager.default.isExecutableFile(atPath: "\(directory)/\(tool)")
        }
    }

    static func run(_ script: String, arguments: [String], timeLimit: Duration) async throws -> Outcome {
        let root = packageRoot
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(
                        returning: try runBlocking(script, arguments: arguments, root: root, timeLimit: timeLimit))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func runBlocking(
        _ script: String, arguments: [String], root: URL, timeLimit: Duration
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent(script).path] + arguments
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let pid = process.processIdentifier
        let seconds = Double(timeLimit.components.seconds)
        let started = DispatchTime.now()
        let watchdog = DispatchWorkItem { _ = kill(pid, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: started + seconds, execute: watchdog)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()

        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        return Outcome(
            status: process.terminationStatus,
            output: String(decoding: data, as: UTF8.self),
            timedOut: elapsed >= seconds
        )
    }
}
