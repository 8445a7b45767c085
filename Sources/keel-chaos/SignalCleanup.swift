import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// On SIGINT or SIGTERM, kills every member the runner started (by PID) and exits, so that an interrupted
/// run leaves no process behind.
// @unchecked: the dispatch sources are created in init and only cancelled afterwards; Dispatch serialises both.
final class SignalCleanup: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(cluster: ChaosCluster) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                note("keel-chaos: signal \(number), stopping every member started")
                cluster.killAllNow()
                exit(128 + number)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
