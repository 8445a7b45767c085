/// One thing a checker found wrong in a history: what kind of guarantee broke, where, and which operations or
/// watcher show it. `description` is a one-line explanation meant to be printed as is.
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The guarantee that broke.
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        /// The single-key history admits no linearization against the etcd model.
        case notLinearizable
        /// A linearizable read returned a state older than a write or read that completed before it began.
        case staleRead
        /// A serializable read returned something that is not the state of any prefix of the history.
        case serializableRead
        /// An acknowledged write's effect is missing from the final read without a later change explaining it.
        case lostWrite
        /// A committed change that no invoked operation could have made.
        case phantomWrite
        /// One operation's effect committed at two revisions.
        case duplicateApply
        /// A multi-key write whose keys committed at different revisions.
        case nonAtomicWrite
        /// A committed revision whose changes differ from the effect of the operation that made it.
        case wrongEffect
        /// Two sources (responses, reads, watch events) disagree about what one revision did.
        case conflictingObservation
        /// Two acknowledged write requests claim the same revision.
        case revisionConflict
        /// A key's create revision or version does not follow from its history.
        case badMetadata
        /// A lease's keys were deleted before its TTL could have run out.
        case prematureLeaseExpiry
        /// The revision order contradicts the real-time order of two writes.
        case realTimeOrder
        /// A watcher received an event twice.
        case watchDuplicate
        /// A watcher received events out of revision order.
        case watchOutOfOrder
        /// A watcher received the events of one revision split over several responses.
        case watchNonAtomic
        /// A watcher missed a committed change for its prefix.
        case watchGap
        /// A watcher's resumed stream did not start right after the last revision it had received.
        case watchBadResume
    }

    public var kind: Kind
    /// What happened, in one line.
    public var message: String
    /// The operations involved, most relevant first.
    public var operationIDs: [Int]
    /// The watcher involved, for watch violations.
    public var watcher: Int?
    /// The store revision involved, when there is one.
    public var revision: Int64?

    public init(kind: Kind, message: String, operationIDs: [Int] = [], watcher: Int? = nil, revision: Int64? = nil) {
        self.kind = kind
        self.message = message
        self.operationIDs = operationIDs
        self.watcher = watcher
        self.revision = revision
    }

    public var description: String {
        var parts = ["[\(kind.rawValue)]"]
        if let revision { parts.append("rev \(revision)") }
        if !operationIDs.isEmpty { parts.append("ops " + operationIDs.map { "#\($0)" }.joined(separator: ",")) }
        if let watcher { parts.append("watcher \(watcher)") }
        return parts.joined(separator: " ") + ": " + message
    }
}
