import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process run under a name: its standard output and error are copied line by line to this
/// process's, each line prefixed with the name, and its end is reported exactly once.
///
/// Signals go to the child by its PID and only while it has not been reaped, so that a signal can never
/// reach an unrelated process that was given the same PID later.
final class MemberProcess: Sendable {
    /// How a child ended.
    enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(status: Int32)
        case signalled(Int32)

        init(waitStatus: Int32) {
            let signal = waitStatus & 0x7f
            self = signal == 0 ? .exited(status: (waitStatus >> 8) & 0xff) : .signalled(signal)
        }

        var description: String {
            switch self {
            case .exited(let status): return "exited with status \(status)"
            case .signalled(let signal): return "was killed by signal \(signal) (\(Self.signalName(signal)))"
            }
        }

        private static func signalName(_ signal: Int32) -> String {
            switch signal {
            case SIGKILL: return "SIGKILL"
            case SIGTERM: return "SIGTERM"
            case SIGINT: return "SIGINT"
            case SIGSEGV: return "SIGSEGV"
            case SIGABRT: return "SIGABRT"
            case SIGILL: return "SIGILL"
            case SIGTRAP: return "SIGTRAP"
            case SIGBUS: return "SIGBUS"
            case SIGPIPE: return "SIGPIPE"
            case SIGHUP: return "SIGHUP"
            default: return String(cString: strsignal(signal))
            }
        }
    }

    let name: String
    let pid: pid_t
    /// Whether the child has ended; set before it is reaped, under the lock that signalling takes.
    private let ended = Mutex(false)

    private init(name: String, pid: pid_t) {
        self.name = name
        self.pid = pid
    }

    /// Starts `executable` with `arguments` in a process group of its own, so that a terminal's Ctrl-C
    /// reaches only this process, which then stops its children in order. `onExit` runs once, on a thread of
    /// its own, after the child has ended.
    static func spawn(
        name: String, prefix: String, executable: String, arguments: [String],
        onExit: @escaping @Sendable (Termination) -> Void
    ) throws(MemberProcessError) -> MemberProcess {
        let output = try makePipe(name: name)
        let errors = try makePipe(name: name)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errors.write, STDERR_FILENO)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // This process ignores SIGINT and SIGTERM (it takes them through signal sources); its children must
        // not inherit that, nor a blocked signal mask.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(output.write)
        close(errors.write)
        guard result == 0 else {
            close(output.read)
            close(errors.read)
            throw MemberProcessError(name: name, operation: "posix_spawn \(executable)", errno: result)
        }

        let process = MemberProcess(name: name, pid: pid)
        startCopying(from: output.read, to: .standardOutput, prefix: prefix)
        startCopying(from: errors.read, to: .standardError, prefix: prefix)
        let waiter = Thread { onExit(process.waitForEnd()) }
        waiter.name = "keel-up-wait-\(name)"
        waiter.start()
        return process
    }

    /// Sends `signal` unless the child has already ended. Returns whether it was sent.
    @discardableResult
    func send(_ signal: Int32) -> Bool {
        ended.withLock { ended in
            guard !ended else { return false }
            return kill(pid, signal) == 0
        }
    }

    /// Blocks until the child ends, marks it ended (no more signals), then reaps it.
    private func waitForEnd() -> Termination {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        ended.withLock { $0 = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Termination(waitStatus: status)
    }

    private static func makePipe(name: String) throws(MemberProcessError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw MemberProcessError(name: name, operation: "pipe", errno: errno)
        }
        // Close-on-exec, so that one member does not hold another's pipe open (the file actions' dup2 gives
        // each child its own copies without the flag). Members are spawned one at a time, from one task.
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        return (descriptors[0], descriptors[1])
    }

    /// Copies what the child writes to `descriptor` until it closes, a whole line at a time with `prefix`.
    private static func startCopying(from descriptor: Int32, to stream: ConsoleOutput.Stream, prefix: String) {
        let thread = Thread {
            let prefixBytes = Array(prefix.utf8)
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                var lines: [UInt8] = []
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    lines += prefixBytes
                    lines += pending[start...newline]
                    start = newline + 1
                }
                if !lines.isEmpty {
                    pending.removeSubrange(..<start)
                    ConsoleOutput.write(lines, to: stream)
                }
            }
            if !pending.isEmpty { ConsoleOutput.write(prefixBytes + pending + [UInt8(ascii: "\n")], to: stream) }
            close(descriptor)
        }
        thread.start()
    }
}

/// A system call that failed while starting a member process.
struct MemberProcessError: Error, CustomStringConvertible {
    var name: String
    var operation: String
    var errno: Int32

    var description: String { "cannot start \(name): \(operation): \(String(cString: strerror(errno)))" }
}
