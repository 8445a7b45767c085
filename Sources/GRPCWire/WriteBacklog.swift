import Synchronization

/// The bytes one stream has handed to its connection and the connection has not yet written, and the first
/// write that failed.
///
/// Guarantees: `submitted` and `finished` keep `unwritten` exact whatever threads call them; once a write has
/// failed, `failure` keeps that error for good, so a writer that did not wait for the failed write learns of
/// it at its next one.
final class WriteBacklog: Sendable {
    private struct State {
        var unwritten = 0
        var failure: (any Error)?
    }

    private let state = Mutex(State())

    /// Counts `bytes` as unwritten; returns the stream's unwritten total including them.
    func submitted(_ bytes: Int) -> Int {
        state.withLock { state in
            state.unwritten += bytes
            return state.unwritten
        }
    }

    /// `bytes` submitted earlier have been written, or have failed with `error`.
    func finished(_ bytes: Int, error: (any Error)?) {
        state.withLock { state in
            state.unwritten -= bytes
            if state.failure == nil, let error { state.failure = error }
        }
    }

    /// The first write failure, if any.
    var failure: (any Error)? {
        state.withLock { $0.failure }
    }
}
