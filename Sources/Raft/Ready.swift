/// Everything a `RaftNode` needs its driver to do, collected since the last `Ready`. The driver handles a
/// Ready in this order, and may overlap the write of one Ready with taking the next (readies are persisted
/// and acknowledged in number order):
///
/// 1. Send `messages` at once — they do not depend on anything in this Ready being durable. (A leader's
///    appends are among them: it replicates its new entries while it writes them itself.)
/// 2. Write durably, in one atomic batch: `snapshot` if any (replacing the log and the application state up
///    to its index), then `entries` (replacing any stored entries from the first one's index on), then
///    `hardState` if any. `mustSync` says whether the batch must reach stable storage before it is
///    acknowledged (false when only the commit index changed).
/// 3. Call `persisted(through: number)`, then send `persistedMessages`: votes and acknowledgements that
///    promise what the write made durable.
/// 4. Apply `committedEntries` in order (passing each `.configChange` entry to `applyConfigChange(_:)`), then
///    call `applied(through:)`. They are already durable here, so they may be applied before step 2
///    completes; any order relative to steps 2–3 is safe.
/// 5. Answer the reads in `readStates` once the application has applied up to their index.
public struct Ready: Sendable {
    /// Orders readies for `persisted(through:)`; strictly increasing from 1.
    public let number: UInt64
    /// The new leader and role, if either changed since the last Ready.
    public let softState: SoftState?
    /// The hard state to persist, if it changed since the last Ready.
    public let hardState: HardState?
    /// A snapshot received from the leader, to persist and install before `entries`.
    public let snapshot: Snapshot?
    /// Log entries to append to stable storage.
    public let entries: [Entry]
    /// Messages to send now.
    public let messages: [Message]
    /// Messages to send only once this Ready is persisted and acknowledged.
    public let persistedMessages: [Message]
    /// Entries known committed and durable here, to apply in order. Never overlaps an earlier Ready's.
    public let committedEntries: [Entry]
    /// Answers to `readIndex(context:)` requests.
    public let readStates: [ReadState]
    /// Whether the write must be synced before `persisted(through:)`.
    public let mustSync: Bool

    /// Whether there is nothing to write: the Ready can be acknowledged at once.
    public var hasNoWrites: Bool { snapshot == nil && entries.isEmpty && hardState == nil }
}

extension Ready: CustomStringConvertible {
    public var description: String {
        var lines = ["Ready #\(number)" + (mustSync ? " mustSync" : "") + ":"]
        if let softState { lines.append("  soft: \(softState)") }
        if let hardState { lines.append("  hard: \(hardState)") }
        if let snapshot { lines.append("  snapshot: \(snapshot)") }
        if !entries.isEmpty {
            lines.append("  entries:")
            lines += entries.map { "    \($0)" }
        }
        if !committedEntries.isEmpty {
            lines.append("  committed:")
            lines += committedEntries.map { "    \($0)" }
        }
        if !messages.isEmpty {
            lines.append("  messages:")
            lines += messages.map { "    \($0)" }
        }
        if !persistedMessages.isEmpty {
            lines.append("  after persisting:")
            lines += persistedMessages.map { "    \($0)" }
        }
        if !readStates.isEmpty {
            lines.append("  reads:")
            lines += readStates.map { "    \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
