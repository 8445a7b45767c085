import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A process a test started, with its standard output and error going to files, signalled by its PID only
/// while it runs (so that a signal never reaches a later process given the same PID).
final class ChildProcess: @unchecked Sendable {
    // @unchecked: Process is only read (pid, isRunning, terminationStatus) after `run()`, which Foundation
    // keeps consistent across threads.
    private let process: Process
    let pid: Int32
    let outputFile: URL
    let errorFile: URL

    private init(process: Process, outputFile: URL, errorFile: URL) {
        self.process = process
        self.pid = process.processIdentifier
        self.outputFile = outputFile
        self.errorFile = errorFile
    }

    /// Starts `executable`. Output is appended to `outputFile` (created if missing), errors to `errorFile`
    /// (the same file when `nil`); `input`, if given, is the whole of its standard input.
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        outputFile: URL, errorFile: URL? = nil, input: String? = nil
    ) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = try appendingHandle(outputFile)
        let errors = try errorFile.map(appendingHandle) ?? output
        process.standardOutput = output
        process.standardError = errors
        if let input {
            let inputFile = outputFile.appendingPathExtension("stdin")
            try Data(input.utf8).write(to: inputFile)
            process.standardInput = try FileHandle(forReadingFrom: inputFile)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        try? output.close()
        if errors !== output { try? errors.close() }
        return ChildProcess(process: process, outputFile: outputFile, errorFile: errorFile ?? outputFile)
    }

    var isRunning: Bool { process.isRunning }

    /// The exit status, or the signal number for a process killed by a signal; `nil` while it runs.
    var termination: (status: Int32, signalled: Bool)? {
        guard !process.isRunning else { return nil }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }
    var errors: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

    @discardableResult
    func send(_ signal: Int32) -> Bool {
        guard process.isRunning else { return false }
        return Glibc.kill(pid, signal) == 0
    }

    /// Waits until the process has ended, for at most `limit`; whether it did.
    func waitForExit(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    /// SIGTERM, then SIGKILL if it is still running after `grace`; returns once it has ended.
    func stop(grace: Duration = .seconds(10)) async {
        if send(SIGTERM), await waitForExit(within: grace) { return }
        await kill()
    }

    /// SIGKILL; returns once it has ended.
    func kill() async {
        send(SIGKILL)
        _ = await waitForExit(within: .seconds(10))
    }

    /// SIGKILL and a bounded wait without suspending, for `defer` blocks.
    func killNow() {
        send(SIGKILL)
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
    }

    private static func appendingHandle(_ file: URL) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        return handle
    }
}
