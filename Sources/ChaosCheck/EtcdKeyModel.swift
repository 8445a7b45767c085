/// etcd's KV semantics as seen from one key, as a `SequentialModel` for the linearizability search.
///
/// Revisions are global, but their order is not: along any linearization the store revision never goes down,
/// a write's revision is above everything linearized before it, and a read's header revision is at least that.
/// The state therefore carries the highest position reached so far (a write at revision r sits at 2r, a read at
/// revision R at 2R + 1), which makes a single key's history check stale reads and real-time revision order.
///
/// A write with unknown outcome takes effect at an unknown revision; the first read that returns its value
/// reveals it. A key attached to a lease may lose its value at any step when `leasesMayExpire`. Keys are assumed
/// absent when the history starts.
public struct EtcdKeyModel: SequentialModel {
    /// Whether leases may expire on their own (the runner does not keep them alive).
    public var leasesMayExpire: Bool

    public init(leasesMayExpire: Bool = true) {
        self.leasesMayExpire = leasesMayExpire
    }

    /// The key's value and metadata, and how far the revision order has advanced.
    public struct State: Hashable, Sendable {
        /// nil when the key is absent. A mod (or create) revision of 0 is not yet known: an unknown-outcome
        /// write made it.
        public var kv: StoredValue?
        /// The highest position linearized so far: 2r for a write at r, 2R + 1 for a read at R.
        public var position: Int64
        /// For a value with unknown mod revision: the position before the write that made it, which its
        /// revision must be above.
        public var unknownAfter: Int64

        public init(kv: StoredValue? = nil, position: Int64 = 0, unknownAfter: Int64 = 0) {
            self.kv = kv
            self.position = position
            self.unknownAfter = unknownAfter
        }
    }

    /// An operation projected onto the key.
    public enum Input: Hashable, Sendable {
        /// A linearizable get, or a linearizable range that covers the key.
        case read
        /// A put (or one key of a multi-key put), attached to `lease` when it is not 0.
        case put(value: String, lease: Int64)
        case delete
        case compareAndSet(expectedModRevision: Int64, value: String)
        /// A lease revoke, which deletes the key when it is attached to the lease.
        case leaseRevoke(Int64)
    }

    /// What the member answered, projected onto the key.
    public struct Output: Hashable, Sendable {
        /// The response header revision.
        public var revision: Int64
        /// For a read: the key's value, nil when absent.
        public var kv: StoredValue?
        /// For a compare-and-set: whether the put was made, when reported.
        public var succeeded: Bool?
        /// For a single-key delete: how many keys it deleted, when reported.
        public var deleted: Int64?

        public init(revision: Int64, kv: StoredValue? = nil, succeeded: Bool? = nil, deleted: Int64? = nil) {
            self.revision = revision
            self.kv = kv
            self.succeeded = succeeded
            self.deleted = deleted
        }
    }

    public var initialState: State { State() }

    public func step(_ state: State, input: Input, output: Output?) -> [State] {
        var next = apply(state, input, output)
        if leasesMayExpire, let kv = state.kv, kv.lease != 0 {
            var expired = state
            expired.kv = nil
            expired.unknownAfter = 0
            for candidate in apply(expired, input, output) where !next.contains(candidate) {
                next.append(candidate)
            }
        }
        return next
    }

    private func apply(_ state: State, _ input: Input, _ output: Output?) -> [State] {
        switch input {
        case .read:
            guard let output else { return [state] }
            return read(state, at: output.revision, returned: output.kv).map { [$0] } ?? []

        case .put(let value, let lease):
            guard let output else { return [put(state, value: value, lease: lease, at: nil)] }
            guard 2 * output.revision > state.position else { return [] }
            return [put(state, value: value, lease: lease, at: output.revision)]

        case .delete:
            guard let output else { return [state.kv == nil ? state : delete(state, at: nil)] }
            let exists = state.kv != nil
            switch output.deleted {
            case let count? where count > 0:
                return exists ? delete(state, atChecked: output.revision) : []
            case _?:
                return exists ? [] : unchanged(state, at: output.revision)
            case nil:
                return exists ? delete(state, atChecked: output.revision) : unchanged(state, at: output.revision)
            }

        case .compareAndSet(let expected, let value):
            var holding: State?
            var failing: State?
            if let kv = state.kv {
                if kv.modRevision != 0 {
                    if kv.modRevision == expected { holding = state } else { failing = state }
                } else {
                    failing = state
                    if expected > 0, 2 * expected > state.unknownAfter {
                        var revealed = state
                        revealed.kv!.modRevision = expected
                        if revealed.kv!.version == 1 { revealed.kv!.createRevision = expected }
                        holding = revealed
                    }
                }
            } else if expected == 0 {
                holding = state
            } else {
                failing = state
            }
            var next: [State] = []
            guard let output else {
                if let holding { next.append(put(holding, value: value, lease: 0, at: nil)) }
                if let failing { next.append(failing) }
                return next
            }
            if output.succeeded != false, let holding, 2 * output.revision > holding.position {
                next.append(put(holding, value: value, lease: 0, at: output.revision))
            }
            if output.succeeded != true, let failing {
                next.append(contentsOf: unchanged(failing, at: output.revision))
            }
            return next

        case .leaseRevoke(let lease):
            let attached = lease != 0 && state.kv?.lease == lease
            guard let output else { return [attached ? delete(state, at: nil) : state] }
            return attached ? delete(state, atChecked: output.revision) : unchanged(state, at: output.revision)
        }
    }

    /// An answer at revision `revision` that changed nothing.
    private func unchanged(_ state: State, at revision: Int64) -> [State] {
        guard 2 * revision + 1 >= state.position else { return [] }
        var next = state
        next.position = max(state.position, 2 * revision + 1)
        return [next]
    }

    private func read(_ state: State, at revision: Int64, returned: StoredValue?) -> State? {
        guard 2 * revision + 1 >= state.position else { return nil }
        var next = state
        next.position = max(state.position, 2 * revision + 1)
        guard var kv = state.kv else { return returned == nil ? next : nil }
        guard let returned, returned.value == kv.value, returned.lease == kv.lease,
            returned.version == kv.version, returned.modRevision <= revision
        else { return nil }
        if kv.modRevision == 0 {
            guard 2 * returned.modRevision > state.unknownAfter else { return nil }
            kv.modRevision = returned.modRevision
        } else if kv.modRevision != returned.modRevision {
            return nil
        }
        if kv.createRevision == 0 {
            guard returned.createRevision > 0, returned.createRevision <= kv.modRevision,
                (returned.createRevision == kv.modRevision) == (kv.version == 1)
            else { return nil }
            kv.createRevision = returned.createRevision
        } else if kv.createRevision != returned.createRevision {
            return nil
        }
        next.kv = kv
        next.unknownAfter = 0
        return next
    }

    private func put(_ state: State, value: String, lease: Int64, at revision: Int64?) -> State {
        var next = state
        let key = state.kv?.key ?? ""
        if let existing = state.kv {
            next.kv = StoredValue(
                key: key, value: value, createRevision: existing.createRevision, modRevision: revision ?? 0,
                version: existing.version + 1, lease: lease)
        } else {
            next.kv = StoredValue(
                key: key, value: value, createRevision: revision ?? 0, modRevision: revision ?? 0, version: 1,
                lease: lease)
        }
        if let revision {
            next.position = 2 * revision
            next.unknownAfter = 0
        } else {
            next.unknownAfter = state.position
        }
        return next
    }

    private func delete(_ state: State, at revision: Int64?) -> State {
        var next = state
        next.kv = nil
        next.unknownAfter = 0
        if let revision { next.position = 2 * revision }
        return next
    }

    private func delete(_ state: State, atChecked revision: Int64) -> [State] {
        guard 2 * revision > state.position else { return [] }
        return [delete(state, at: revision)]
    }
}
