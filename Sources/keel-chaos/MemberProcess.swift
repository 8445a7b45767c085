import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `keel store` process the runner started. Signals go to its PID only while it runs, so that a signal
/// never reaches a later process that was given the same PID.
final class MemberProcess: @unchecked Sendable {
    // @unchecked: Process is only read (isRunning) after `run()`, which Foundation keeps consistent across
    // threads; `pid` is immutable.
    private let process: Process
    let pid: Int32

    private init(process: Process) {
        self.process = process
        self.pid = process.processIdentifier
    }

    /// Starts `executable` with its output appended to `log`.
    static func start(_ executable: String, _ arguments: [String], log: URL) throws -> MemberProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: log)
        try output.seekToEnd()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            try? output.close()
            throw ChaosError("cannot start \(executable): \(error)")
        }
        try? output.close()
        return MemberProcess(process: process)
    }

    var isRunning: Bool { process.isRunning }

    @discardableResult
    func send(_ signal: Int32) -> Bool {
        guard process.isRunning else { return false }
        return Glibc.kill(pid, signal) == 0
    }

    func waitForExit(within limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// SIGKILL (after SIGCONT, so that a stopped process dies at once); returns once it has ended.
    func kill() async {
        send(SIGCONT)
        send(SIGKILL)
        _ = await waitForExit(within: .seconds(10))
    }

    /// SIGTERM, then SIGKILL after `grace`; returns once it has ended.
    func stop(grace: Duration = .seconds(5)) async {
        send(SIGCONT)
        if send(SIGTERM), await waitForExit(within: grace) { return }
        await kill()
    }

    /// SIGKILL and a bounded wait without suspending, for clean-up paths that cannot await.
    func killNow() {
        send(SIGCONT)
        send(SIGKILL)
        for _ in 0..<300 where process.isRunning { usleep(10_000) }
    }
}
