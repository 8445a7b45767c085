/// The store's committed history as far as a chaos history reveals it: for each revision that something
/// observed (a write response, a read, a watch event), the changes it made and the operation that made it.
///
/// Observation is partial: a revision no response, read or watcher saw is absent, and a revision seen only
/// by a prefix watcher may lack changes to keys outside the prefix unless the operation that made it is known.
/// `isComplete(_:)` tells the two apart, and checks that need the full picture consult it.
public struct CommittedHistory: Sendable, Hashable {
    /// What one revision did to one key. Metadata fields of a put that no source reported are 0.
    public enum Change: Sendable, Hashable {
        case put(StoredValue)
        case delete
    }

    /// Who made a revision.
    public enum Author: Sendable, Hashable {
        case operation(Int)
        /// A lease that expired on its own and took its keys with it.
        case leaseExpiry(Int64)
        /// Nothing in the history could have made it (reported as a phantom write).
        case none
    }

    /// One committed revision.
    public struct Revision: Sendable, Hashable {
        public var revision: Int64
        public var changes: [String: Change]
        public var author: Author
        /// Whether `changes` lists every key the revision touched.
        public var complete: Bool

        public init(revision: Int64, changes: [String: Change], author: Author, complete: Bool) {
            self.revision = revision
            self.changes = changes
            self.author = author
            self.complete = complete
        }
    }

    /// The observed revisions by number.
    public var revisions: [Int64: Revision]
    /// The revision the history starts after: everything at or below it predates the run.
    public var baseRevision: Int64
    /// The highest revision anything showed committed.
    public var lastRevision: Int64
    /// Each key's observed changes, in revision order.
    public private(set) var timelines: [String: [(revision: Int64, change: Change)]]
    /// Revisions in `(baseRevision, lastRevision]` nothing observed, ascending.
    public private(set) var unobservedRevisions: [Int64]
    /// Revisions observed only in part, ascending.
    private var partialRevisions: [Int64]

    public init(revisions: [Int64: Revision], baseRevision: Int64, lastRevision: Int64) {
        self.revisions = revisions
        self.baseRevision = baseRevision
        self.lastRevision = lastRevision
        var timelines: [String: [(revision: Int64, change: Change)]] = [:]
        for revision in revisions.keys.sorted() {
            for (key, change) in revisions[revision]!.changes {
                timelines[key, default: []].append((revision, change))
            }
        }
        self.timelines = timelines
        var unobserved: [Int64] = []
        if lastRevision > baseRevision {
            for revision in (baseRevision + 1)...lastRevision where revisions[revision] == nil {
                unobserved.append(revision)
            }
        }
        unobservedRevisions = unobserved
        partialRevisions = revisions.values.filter { !$0.complete }.map(\.revision).sorted()
    }

    public static func == (lhs: CommittedHistory, rhs: CommittedHistory) -> Bool {
        lhs.revisions == rhs.revisions && lhs.baseRevision == rhs.baseRevision
            && lhs.lastRevision == rhs.lastRevision
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(revisions)
        hasher.combine(baseRevision)
        hasher.combine(lastRevision)
    }

    /// Every key any revision changed, in store order.
    public var keys: [String] {
        timelines.keys.sorted(by: KeySpace.precedes)
    }

    /// The latest observed change to `key` at or below `revision`.
    public func latestChange(to key: String, atOrBelow revision: Int64) -> (revision: Int64, change: Change)? {
        guard let timeline = timelines[key] else { return nil }
        var low = 0
        var high = timeline.count
        while low < high {
            let middle = (low + high) / 2
            if timeline[middle].revision <= revision { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? nil : timeline[low - 1]
    }

    /// The observed changes to `key` in `(after, upTo]`.
    public func changes(to key: String, after: Int64, upTo: Int64) -> ArraySlice<(revision: Int64, change: Change)> {
        guard let timeline = timelines[key] else { return [] }
        func firstIndex(above revision: Int64) -> Int {
            var low = 0
            var high = timeline.count
            while low < high {
                let middle = (low + high) / 2
                if timeline[middle].revision <= revision { low = middle + 1 } else { high = middle }
            }
            return low
        }
        let from = firstIndex(above: after)
        let to = max(from, firstIndex(above: upTo))
        return timeline[from..<to]
    }

    /// Whether the history knows everything revision `revision` did.
    public func isComplete(_ revision: Int64) -> Bool {
        revisions[revision]?.complete ?? false
    }

    /// Whether some revision in `(after, upTo]` could have changed `key` without the history showing it:
    /// a revision nothing observed, or one observed only in part.
    public func mayHaveHiddenChange(to key: String, after: Int64, upTo: Int64) -> Bool {
        guard after < upTo else { return false }
        if after < baseRevision { return true }
        if let first = Self.firstIndex(in: unobservedRevisions, above: after),
            unobservedRevisions[first] <= upTo
        {
            return true
        }
        guard var index = Self.firstIndex(in: partialRevisions, above: after) else { return false }
        while index < partialRevisions.count, partialRevisions[index] <= upTo {
            if revisions[partialRevisions[index]]?.changes[key] == nil { return true }
            index += 1
        }
        return false
    }

    /// The index of the first element above `value` in an ascending array, nil when there is none.
    private static func firstIndex(in sorted: [Int64], above value: Int64) -> Int? {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= value { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count ? low : nil
    }
}
