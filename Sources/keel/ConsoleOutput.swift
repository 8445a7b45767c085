import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes whole lines to this process's standard output or standard error from any thread.
///
/// Each line goes out in one locked sequence of `write(2)` calls, so that lines written by several threads
/// (several members' logs, the supervisor's own messages) never interleave within a line.
enum ConsoleOutput {
    enum Stream {
        case standardOutput
        case standardError

        var descriptor: Int32 {
            switch self {
            case .standardOutput: return STDOUT_FILENO
            case .standardError: return STDERR_FILENO
            }
        }
    }

    private static let lock = Mutex(())

    static func line(_ text: String, to stream: Stream = .standardOutput) {
        write(Array(text.utf8) + [UInt8(ascii: "\n")], to: stream)
    }

    /// Writes `bytes` unchanged, as one unit with respect to other callers.
    static func write(_ bytes: [UInt8], to stream: Stream) {
        lock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Glibc.write(stream.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        // Nowhere left to report to: the reader of this stream has gone.
                        return
                    }
                    offset += written
                }
            }
        }
    }
}
