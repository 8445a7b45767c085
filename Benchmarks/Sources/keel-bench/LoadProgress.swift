import Synchronization

/// Reports on standard error each time another tenth of the keys is written.
final class LoadProgress: Sendable {
    private let total: Int
    private let written = Mutex<(keys: Int, reportedTenths: Int)>((0, 0))

    init(total: Int) {
        self.total = total
    }

    func add(_ keys: Int, elapsed: Duration) {
        let tenths: Int? = written.withLock { state in
            state.keys += keys
            let tenths = state.keys * 10 / total
            guard tenths > state.reportedTenths else { return nil }
            state.reportedTenths = tenths
            return tenths
        }
        if let tenths, tenths < 10 {
            note("  \(tenths * 10)% after \(elapsed.millisecondsText) ms")
        }
    }
}
