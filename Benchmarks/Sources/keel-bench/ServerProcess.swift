import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A server started as a child process, its output appended to a log file. Stopped with SIGTERM, and
/// SIGKILL if it has not exited after a grace period.
///
/// While any run, SIGINT and SIGTERM sent to this program kill them all first (up to 16 at a
/// time), so that interrupting a measurement leaves no server behind.
final class ServerProcess {
    let pid: pid_t
    private var exited = false

    /// Spawns `executable` with `arguments`, standard output and error appended to `logPath`.
    init(executable: String, arguments: [String], logPath: String) throws {
        guard access(executable, X_OK) == 0 else { throw BenchError("\(executable) is not an executable file") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + environment { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, nil, argv, environment)
        guard status == 0 else { throw BenchError("cannot start \(executable): \(String(cString: strerror(status)))") }
        pid = child
        ServerProcess.track(child)
    }

    /// Whether the process has exited (reaping it if so).
    var hasExited: Bool {
        if exited { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { markExited() }
        return exited
    }

    /// Sends SIGKILL and reaps the process: it gets no chance to flush or close anything. Returns the
    /// instant just after the signal was sent (from then on the process runs no more of its code), or nil if
    /// it had already exited.
    @discardableResult
    func killAbruptly() -> ContinuousClock.Instant? {
        guard !hasExited else { return nil }
        kill(pid, SIGKILL)
        let sent = ContinuousClock.now
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        markExited()
        return sent
    }

    /// Sends SIGTERM and waits for the process to exit; after `grace`, sends SIGKILL. Returns how long the
    /// process took to exit after SIGTERM.
    @discardableResult
    func stop(grace: Duration = .seconds(30)) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        guard !hasExited else { return .zero }
        kill(pid, SIGTERM)
        while clock.now - start < grace {
            if hasExited { return clock.now - start }
            try? await Task.sleep(for: .milliseconds(5))
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        markExited()
        return clock.now - start
    }

    private func markExited() {
        exited = true
        ServerProcess.untrack(pid)
    }

    deinit {
        killAbruptly()
    }

    // MARK: Signals

    /// Records a running child in a free slot, installing the handlers on first use.
    private static func track(_ child: pid_t) {
        _ = handlersInstalled
        for index in children.indices {
            if children[index].compareExchange(expected: 0, desired: child, ordering: .sequentiallyConsistent)
                .exchanged
            {
                return
            }
        }
    }

    private static func untrack(_ child: pid_t) {
        for index in children.indices {
            _ = children[index].compareExchange(expected: child, desired: 0, ordering: .sequentiallyConsistent)
        }
    }

    private static let handlersInstalled: Bool = {
        _ = children[0].load(ordering: .relaxed)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { received in
                // Only async-signal-safe calls here: kill, waitpid, _exit.
                for index in ServerProcess.children.indices {
                    let child = ServerProcess.children[index].load(ordering: .sequentiallyConsistent)
                    if child > 0 { kill(child, SIGKILL) }
                }
                for index in ServerProcess.children.indices {
                    let child = ServerProcess.children[index].load(ordering: .sequentiallyConsistent)
                    var status: Int32 = 0
                    if child > 0 { waitpid(child, &status, 0) }
                }
                _exit(128 + received)
            }
        }
        return true
    }()

    /// The pids of running children, 0 in a free slot: fixed storage that a signal handler may read.
    private static let children: InlineArray<16, Atomic<pid_t>> = InlineArray { _ in Atomic<pid_t>(0) }
}
