extension StoreMember {
    /// Whether a linearizable read may skip its ReadIndex round here: only on a follower started with
    /// `DebugFault.staleFollowerReads`.
    public var skipsReadIndexForDebugFault: Bool {
        configuration.debugFaults.contains(.staleFollowerReads) && !isLeader
    }

    /// Whether puts are acknowledged before they commit (`DebugFault.acknowledgeBeforeCommit`).
    public var acknowledgesBeforeCommitForDebugFault: Bool {
        configuration.debugFaults.contains(.acknowledgeBeforeCommit)
    }
}
