import Synchronization

/// Holds back reads served from a member's local state while a write it has already answered is not yet
/// visible to them.
///
/// A write to the key space is answered as soon as it is applied inside the open LMDB transaction, before
/// the transaction commits (and syncs): the entry is already durable in the log of a quorum, and applying it
/// again after a crash gives the same outcome. Readers only see the transaction once it commits, so a
/// serializable read that follows the answer on the same member waits here for that commit.
///
/// Guarantees: `waitForAnsweredWrites()` returns only once every write answered before the call began is
/// visible (`visible(through:)` reached its index), or the gate was opened for good (`release()`). It
/// returns at once, without suspending, when nothing answered is pending.
final class ReadYourWritesGate: Sendable {
    private struct State {
        var answered: UInt64 = 0
        var visible: UInt64 = 0
        var released = false
        var waiters: [(index: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// Records that writes up to log index `index` are about to be answered before they are visible.
    func answered(through index: UInt64) {
        state.withLock { $0.answered = max($0.answered, index) }
    }

    /// Records that everything up to `index` is committed and visible to readers, and lets the readers
    /// waiting for it go.
    func visible(through index: UInt64) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.visible = max(state.visible, index)
            guard !state.waiters.isEmpty else { return [] }
            let visible = state.visible
            let ready = state.waiters.filter { $0.index <= visible }.map(\.continuation)
            state.waiters.removeAll { $0.index <= visible }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// Opens the gate for good (the member is stopping and will commit nothing more).
    func release() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.released = true
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiting { continuation.resume() }
    }

    /// Waits until every write answered so far is visible to readers; calls `whenWaiting` first if it has to
    /// wait (to ask for the commit that makes them visible).
    func waitForAnsweredWrites(whenWaiting: () -> Void = {}) async {
        let pending = state.withLock { $0.released || $0.answered <= $0.visible ? nil : $0.answered }
        guard let pending else { return }
        whenWaiting()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waits = state.withLock { state -> Bool in
                guard !state.released, state.visible < pending else { return false }
                state.waiters.append((pending, continuation))
                return true
            }
            if !waits { continuation.resume() }
        }
    }
}
