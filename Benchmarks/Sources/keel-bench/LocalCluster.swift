import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The processes of a cluster laid out by a `ClusterLayout`: started, killed and restarted one member at a
/// time, always by pid. `stopAll()` ends every process this cluster started; a cluster dropped without it
/// still kills them (each `ServerProcess` does on deinit), as does SIGINT or SIGTERM to this program.
final class LocalCluster {
    let kind: ServerKind
    let executable: String
    let layout: ClusterLayout
    private var processes: [ServerProcess?]

    init(kind: ServerKind, executable: String, layout: ClusterLayout) {
        self.kind = kind
        self.executable = executable
        self.layout = layout
        processes = Array(repeating: nil, count: layout.members.count)
    }

    /// Starts every member. Fails if one of the cluster's ports is already taken or a member's data directory
    /// already exists: a measurement starts from empty members.
    func startAll() throws {
        for port in layout.ports where !Self.isFree(port) {
            throw BenchError("port \(port) on 127.0.0.1 is in use; choose another --base-port")
        }
        for member in layout.members where FileManager.default.fileExists(atPath: member.dataDirectory) {
            throw BenchError("\(member.dataDirectory) already exists; give an empty --data-dir")
        }
        for index in layout.members.indices { try start(index) }
    }

    /// Starts member `index` on its data directory and ports (again, after a kill).
    func start(_ index: Int) throws {
        precondition(processes[index] == nil, "member \(index) is already running")
        let member = layout.members[index]
        processes[index] = try ServerProcess(
            executable: executable, arguments: kind.arguments(for: member, in: layout), logPath: member.logPath)
    }

    /// SIGKILLs member `index` and reaps it. Returns the instant the signal was sent, or nil if the member
    /// was not running.
    func kill(_ index: Int) -> ContinuousClock.Instant? {
        defer { processes[index] = nil }
        return processes[index]?.killAbruptly()
    }

    /// The pid of member `index`, if it runs.
    func pid(_ index: Int) -> pid_t? { processes[index]?.pid }

    /// The members whose process has exited by itself (crashed), by index.
    var exitedMembers: [Int] {
        processes.indices.filter { processes[$0]?.hasExited ?? false }
    }

    /// Stops every running member: SIGTERM, then SIGKILL after `grace`.
    func stopAll(grace: Duration = .seconds(10)) async {
        for index in processes.indices {
            if let process = processes[index] { await process.stop(grace: grace) }
            processes[index] = nil
        }
    }

    /// Whether nothing listens on `port` on 127.0.0.1 (a bind to it succeeds).
    private static func isFree(_ port: Int) -> Bool {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        // As the servers do, so that connections of an earlier run still in TIME_WAIT do not count as in use.
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
