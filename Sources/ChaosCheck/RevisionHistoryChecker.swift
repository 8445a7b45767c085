/// Rebuilds the committed history revision by revision from acknowledged writes, reads and watch events, and
/// checks it against etcd's revision semantics:
///
/// - every source agrees on what each revision did (all watchers, all reads, all write responses);
/// - each revision was made by exactly one operation that was invoked and could have made it, with exactly
///   that operation's effect, and no operation's effect committed twice or split over revisions;
/// - the revision order respects real time: a write that completed before another was invoked has the lower
///   revision, and a linearizable read's revision is at least that of every write and linearizable read that
///   completed before it began;
/// - every read returns exactly the state at its header revision for its keys (serializable reads too, but
///   with no real-time requirement), and keys' create revisions and versions follow from their history.
///
/// Operations with unknown outcome count as possible authors of revisions nothing else explains; revisions no
/// source observed must not outnumber them.
public struct RevisionHistoryChecker: Sendable {
    public var records: [HistoryRecord]
    public var watches: [WatchRecord]

    public init(records: [HistoryRecord], watches: [WatchRecord]) {
        self.records = records
        self.watches = watches
    }

    /// Rebuilds the history and runs every check on it.
    public func check() -> RevisionHistoryReport {
        var builder = Builder(records: records, watches: watches)
        builder.collectObservations()
        builder.attribute()
        builder.settleBaseRevision()
        let history = builder.makeHistory()
        builder.countUnobservedRevisions(history)
        builder.checkMetadata(history)
        builder.checkRealTimeOrder()
        builder.checkReads(history)
        return RevisionHistoryReport(
            violations: builder.violations, history: history, madeRevisions: builder.assignedRevision)
    }
}

/// The outcome of `RevisionHistoryChecker`: its violations and the history it rebuilt, which the lost-write
/// and watch checkers build on.
public struct RevisionHistoryReport: Sendable {
    public var violations: [Violation]
    public var history: CommittedHistory
    /// The revision each operation made, for acknowledged writes and for unknown-outcome writes the history
    /// shows took effect.
    public var madeRevisions: [Int: Int64]
}

extension RevisionHistoryChecker {
    /// One source's account of what a revision did to a key.
    struct Observation {
        var isPut: Bool
        var value: String
        var lease: Int64
        var createRevision: Int64
        var version: Int64
        /// Who reported it, for messages ("op #3", "read #7", "watcher 2").
        var source: String
        /// The operation that reported it, if an operation did.
        var operationID: Int?

        /// Combines two accounts; nil when they disagree. Zero metadata means the source did not know it.
        func merged(with other: Observation) -> Observation? {
            guard isPut == other.isPut else { return nil }
            guard isPut else { return self }
            guard value == other.value, lease == other.lease else { return nil }
            if createRevision != 0, other.createRevision != 0, createRevision != other.createRevision { return nil }
            if version != 0, other.version != 0, version != other.version { return nil }
            var merged = self
            if merged.createRevision == 0 { merged.createRevision = other.createRevision }
            if merged.version == 0 { merged.version = other.version }
            return merged
        }

        var summary: String {
            isPut ? "put \"\(value)\"" + (lease != 0 ? " lease \(lease)" : "") : "delete"
        }
    }

    struct Builder {
        let records: [HistoryRecord]
        let watches: [WatchRecord]
        var byID: [Int: HistoryRecord] = [:]
        var status: [Int: WriteStatus] = [:]
        var effect: [Int: WriteEffect] = [:]
        var observations: [Int64: [String: Observation]] = [:]
        var conflicted: Set<String> = []
        var violations: [Violation] = []
        var assignedRevision: [Int: Int64] = [:]
        var authors: [Int64: CommittedHistory.Author] = [:]
        var completeRevisions: Set<Int64> = []
        var expiredLeases: Set<Int64> = []
        var baseRevision: Int64 = 0
        var lastRevision: Int64 = 0
        /// The leases unknown-outcome puts tried to attach to each key, and when they were invoked.
        var unknownLeasedPuts: [String: [(lease: Int64, invoke: UInt64)]] = [:]

        init(records: [HistoryRecord], watches: [WatchRecord]) {
            self.records = records
            self.watches = watches
            for record in records {
                byID[record.id] = record
                status[record.id] = WriteStatus(record)
                effect[record.id] = WriteEffect(record.operation)
                if case .unknown = record.outcome, case .put(let key, _, let lease?) = record.operation {
                    unknownLeasedPuts[key, default: []].append((lease, record.invokeNanos))
                }
            }
        }

        // MARK: Observations

        mutating func observe(_ revision: Int64, _ key: String, _ observation: Observation) {
            lastRevision = max(lastRevision, revision)
            guard let existing = observations[revision]?[key] else {
                observations[revision, default: [:]][key] = observation
                return
            }
            if let merged = existing.merged(with: observation) {
                observations[revision]![key] = merged
            } else if conflicted.insert("\(revision)/\(key)").inserted {
                violations.append(
                    Violation(
                        kind: .conflictingObservation,
                        message: "key \"\(key)\": \(existing.source) says \(existing.summary), "
                            + "\(observation.source) says \(observation.summary)",
                        operationIDs: [existing.operationID, observation.operationID].compactMap { $0 },
                        revision: revision))
            }
        }

        mutating func collectObservations() {
            var base = Int64.max
            for record in records {
                guard let response = record.response else { continue }
                lastRevision = max(lastRevision, response.revision)
                let source = "op #\(record.id)"
                switch status[record.id]! {
                case .made(let revision):
                    base = min(base, revision - 1)
                    switch effect[record.id]! {
                    case .puts(let puts):
                        for (key, put) in puts {
                            observe(
                                revision, key,
                                Observation(
                                    isPut: true, value: put.value, lease: put.lease, createRevision: 0, version: 0,
                                    source: source, operationID: record.id))
                        }
                    case .deleteKey(let key):
                        observe(
                            revision, key,
                            Observation(
                                isPut: false, value: "", lease: 0, createRevision: 0, version: 0, source: source,
                                operationID: record.id))
                    case .revoke:
                        // Which keys it deleted is inferred during attribution; the revision exists regardless.
                        lastRevision = max(lastRevision, revision)
                        observations[revision, default: [:]] = observations[revision] ?? [:]
                    case .none:
                        break
                    }
                case .maybe(let revision):
                    base = min(base, revision - 1)
                case .none, .unknown:
                    base = min(base, response.revision)
                }
                for kv in response.kvs {
                    observe(
                        kv.modRevision, kv.key,
                        Observation(
                            isPut: true, value: kv.value, lease: kv.lease, createRevision: kv.createRevision,
                            version: kv.version, source: "read #\(record.id)", operationID: record.id))
                }
            }
            for watch in watches {
                lastRevision = max(lastRevision, watch.revision)
                for event in watch.events {
                    let kv = event.kv
                    observe(
                        kv.modRevision, kv.key,
                        Observation(
                            isPut: event.kind == .put, value: event.kind == .put ? kv.value : "",
                            lease: event.kind == .put ? kv.lease : 0,
                            createRevision: event.kind == .put ? kv.createRevision : 0,
                            version: event.kind == .put ? kv.version : 0, source: "watcher \(watch.watcher)",
                            operationID: nil))
                }
            }
            baseRevision = base == .max ? 0 : max(0, base)
        }

        // MARK: Attribution

        /// Whether `effect` could have made exactly `changes` (as far as they were observed), given each key's
        /// lease before the revision.
        static func couldMake(
            _ effect: WriteEffect, _ changes: [String: Observation], leases: [String: Int64]
        ) -> Bool {
            switch effect {
            case .puts(let puts):
                return changes.allSatisfy { key, change in
                    guard let put = puts[key] else { return false }
                    return change.isPut && change.value == put.value && change.lease == put.lease
                }
            case .deleteKey(let key):
                return changes.count == 1 && changes[key].map { !$0.isPut } == true
            case .revoke(let lease):
                return changes.allSatisfy { key, change in !change.isPut && leases[key] == lease }
            case .none:
                return false
            }
        }

        /// Whether `effect` shares a put (same key and value) with `changes`: the signature of an effect
        /// applied twice or split.
        static func overlaps(_ effect: WriteEffect, _ changes: [String: Observation]) -> Bool {
            guard case .puts(let puts) = effect else { return false }
            return changes.contains { key, change in change.isPut && puts[key]?.value == change.value }
        }

        mutating func attribute() {
            var madeAt: [Int64: [Int]] = [:]
            var maybeAt: [Int64: [Int]] = [:]
            var unknown: [Int] = []
            for record in records.sorted(by: { ($0.invokeNanos, $0.id) < ($1.invokeNanos, $1.id) }) {
                switch status[record.id]! {
                case .made(let revision): madeAt[revision, default: []].append(record.id)
                case .maybe(let revision): maybeAt[revision, default: []].append(record.id)
                case .unknown: unknown.append(record.id)
                case .none: break
                }
            }
            for (revision, ids) in madeAt {
                for id in ids { assignedRevision[id] = revision }
            }
            // Unknown-outcome writes indexed by what they would write: a put by its key and value, a delete by
            // its key; revokes touch keys only the history can tell, so they are candidates for any delete.
            var unknownPuts: [String: [Int]] = [:]
            var unknownDeletes: [String: [Int]] = [:]
            var unknownRevokes: [Int] = []
            var invokeOf: [Int: UInt64] = [:]
            for id in unknown {
                invokeOf[id] = byID[id]!.invokeNanos
                switch effect[id]! {
                case .puts(let puts):
                    for (key, put) in puts { unknownPuts[key + "\u{0}" + put.value, default: []].append(id) }
                case .deleteKey(let key): unknownDeletes[key, default: []].append(id)
                case .revoke: unknownRevokes.append(id)
                case .none: break
                }
            }
            var taken: Set<Int> = []
            // When each revision was committed at the latest: the write that made it took effect before then.
            let commitBound = CommitTimeBound(records)
            var grants: [Int64: HistoryRecord] = [:]
            for record in records {
                guard case .leaseGrant(let lease, _) = record.operation else { continue }
                if case .failed = record.outcome { continue }
                if let known = grants[lease], known.invokeNanos <= record.invokeNanos { continue }
                grants[lease] = record
            }
            var leases: [String: Int64] = [:]
            var lastChange: [String: Int64] = [:]
            let observed = observations.keys.sorted()
            for revision in observed {
                let changes = observations[revision]!
                defer {
                    for (key, change) in observations[revision]! {
                        if change.isPut { leases[key] = change.lease } else { leases[key] = nil }
                        lastChange[key] = revision
                    }
                }
                // A revoke or expiry deletes every key attached to its lease; where the history shows a key's
                // attachment with no unobserved revision since, its delete is known even if nobody saw it.
                func inferDeletes(_ lease: Int64, by source: String, operationID: Int? = nil) {
                    for (key, attached) in leases where attached == lease && changes[key] == nil {
                        let since = lastChange[key] ?? 0
                        // Every revision strictly between must have been observed.
                        guard since < revision,
                            Self.countBetween(observed, after: since, before: revision) == Int(revision - since - 1)
                        else { continue }
                        observations[revision]![key] = Observation(
                            isPut: false, value: "", lease: 0, createRevision: 0, version: 0, source: source,
                            operationID: operationID)
                    }
                }
                let claimants = madeAt[revision] ?? []
                if claimants.count > 1 {
                    violations.append(
                        Violation(
                            kind: .revisionConflict,
                            message: "\(claimants.count) acknowledged writes all claim to have made this revision",
                            operationIDs: claimants, revision: revision))
                }
                if let author = claimants.first {
                    authors[revision] = .operation(author)
                    if case .revoke(let lease) = effect[author]! {
                        inferDeletes(lease, by: "op #\(author)", operationID: author)
                    }
                    if effect[author]!.isFullyKnown { completeRevisions.insert(revision) }
                    if !Self.couldMake(effect[author]!, changes, leases: leases) {
                        let described = changes.keys.sorted(by: KeySpace.precedes).map {
                            "\"\($0)\" \(changes[$0]!.summary) (\(changes[$0]!.source))"
                        }
                        violations.append(
                            Violation(
                                kind: .wrongEffect,
                                message: "op #\(author) (\(byID[author]!.operation.shortDescription)) made this "
                                    + "revision, which changed " + described.joined(separator: ", "),
                                operationIDs: [author], revision: revision))
                    }
                    continue
                }
                let deadline = commitBound.committedBy(revision)
                var indexed: [Int] = []
                if let key = changes.keys.min(by: KeySpace.precedes), let change = changes[key] {
                    indexed =
                        change.isPut
                        ? unknownPuts[key + "\u{0}" + change.value] ?? [] : (unknownDeletes[key] ?? []) + unknownRevokes
                }
                let unknownCandidates = indexed.filter { !taken.contains($0) && invokeOf[$0]! <= deadline }
                let pool = (maybeAt[revision] ?? []) + unknownCandidates
                if let author = pool.first(where: { Self.couldMake(effect[$0]!, changes, leases: leases) }) {
                    assignedRevision[author] = revision
                    authors[revision] = .operation(author)
                    if case .revoke(let lease) = effect[author]! {
                        inferDeletes(lease, by: "op #\(author)", operationID: author)
                    }
                    if effect[author]!.isFullyKnown { completeRevisions.insert(revision) }
                    taken.insert(author)
                    continue
                }
                if let lease = expiringLease(changes, leases: leases, deadline: deadline, grants: grants) {
                    expiredLeases.insert(lease)
                    authors[revision] = .leaseExpiry(lease)
                    // The TTL runs from the grant, which was invoked no later than it took effect.
                    if let grant = grants[lease], case .leaseGrant(_, let ttl) = grant.operation,
                        deadline < grant.invokeNanos &+ UInt64(max(0, ttl)) &* 1_000_000_000
                    {
                        violations.append(
                            Violation(
                                kind: .prematureLeaseExpiry,
                                message: "lease \(lease) (ttl \(ttl)s, granted by op #\(grant.id)) lost its keys "
                                    + "before its ttl could have run out",
                                operationIDs: [grant.id], revision: revision))
                    }
                    inferDeletes(lease, by: "expiry of lease \(lease)")
                    continue
                }
                authors[revision] = CommittedHistory.Author.none
                // At or below the first revision an answer showed, a change may predate the run.
                if revision <= baseRevision { continue }
                let described = changes.keys.sorted(by: KeySpace.precedes).map {
                    "\"\($0)\" \(changes[$0]!.summary) (\(changes[$0]!.source))"
                }.joined(separator: ", ")
                if let earlier = assignedRevision.keys.sorted().first(where: {
                    Self.overlaps(effect[$0]!, changes)
                }) {
                    let other = assignedRevision[earlier]!
                    let operation = byID[earlier]!.operation
                    var split = false
                    if case .multiPut(let puts) = operation {
                        // Part of the keys here means the put was split; all of them means it was applied twice.
                        split = changes.count < Set(puts.map(\.key)).count
                    }
                    violations.append(
                        Violation(
                            kind: split ? .nonAtomicWrite : .duplicateApply,
                            message: split
                                ? "op #\(earlier) (\(operation.shortDescription)) committed in parts: "
                                    + "\(described) here, the rest at revision \(other)"
                                : "op #\(earlier) (\(operation.shortDescription)) took effect at revision \(other) "
                                    + "and again here: \(described)",
                            operationIDs: [earlier], revision: revision))
                } else {
                    violations.append(
                        Violation(
                            kind: .phantomWrite,
                            message: "committed \(described), which no invoked operation could have made",
                            revision: revision))
                }
            }
        }

        /// How many elements of an ascending array lie strictly between two values.
        static func countBetween(_ sorted: [Int64], after low: Int64, before high: Int64) -> Int {
            func firstIndex(atLeast value: Int64) -> Int {
                var lower = 0
                var upper = sorted.count
                while lower < upper {
                    let middle = (lower + upper) / 2
                    if sorted[middle] < value { lower = middle + 1 } else { upper = middle }
                }
                return lower
            }
            return max(0, firstIndex(atLeast: high) - firstIndex(atLeast: low + 1))
        }

        /// Lowers the base below the revisions unknown-outcome writes made before any answer arrived.
        mutating func settleBaseRevision() {
            if let first = assignedRevision.values.min() { baseRevision = min(baseRevision, first - 1) }
        }

        /// The lease whose expiry could explain `changes`: all deletes of keys attached to that one lease, by
        /// the attachment the history shows or else by an unknown-outcome put, invoked before `deadline`, that
        /// the history does not show. Leases whose TTL had run out by `deadline` come first.
        func expiringLease(
            _ changes: [String: Observation], leases: [String: Int64], deadline: UInt64,
            grants: [Int64: HistoryRecord]
        ) -> Int64? {
            guard !changes.isEmpty, changes.values.allSatisfy({ !$0.isPut }) else { return nil }
            func common(_ options: (String) -> Set<Int64>) -> Set<Int64> {
                changes.keys.reduce(into: Optional<Set<Int64>>.none) { result, key in
                    result = result.map { $0.intersection(options(key)) } ?? options(key)
                }?.subtracting(expiredLeases) ?? []
            }
            let attached = common { key in leases[key].map { $0 == 0 ? [] : [$0] } ?? [] }
            let possible = common { key in
                var options = Set((unknownLeasedPuts[key] ?? []).filter { $0.invoke <= deadline }.map(\.lease))
                if let lease = leases[key], lease != 0 { options.insert(lease) }
                return options
            }
            let candidates = attached.isEmpty ? possible : attached
            func ripe(_ lease: Int64) -> Bool {
                guard let grant = grants[lease], case .leaseGrant(_, let ttl) = grant.operation else { return true }
                return deadline >= grant.invokeNanos &+ UInt64(max(0, ttl)) &* 1_000_000_000
            }
            return candidates.filter(ripe).min() ?? candidates.min()
        }

        func makeHistory() -> CommittedHistory {
            var revisions: [Int64: CommittedHistory.Revision] = [:]
            for (revision, changes) in observations {
                var converted: [String: CommittedHistory.Change] = [:]
                for (key, change) in changes {
                    converted[key] =
                        change.isPut
                        ? .put(
                            StoredValue(
                                key: key, value: change.value, createRevision: change.createRevision,
                                modRevision: revision, version: change.version, lease: change.lease))
                        : .delete
                }
                let author = authors[revision] ?? .none
                // An operation whose whole effect is known contributes the keys no source happened to see.
                if case .operation(let id) = author, case .puts(let puts) = effect[id]! {
                    for (key, put) in puts where converted[key] == nil {
                        converted[key] = .put(
                            StoredValue(
                                key: key, value: put.value, createRevision: 0, modRevision: revision, version: 0,
                                lease: put.lease))
                    }
                }
                revisions[revision] = CommittedHistory.Revision(
                    revision: revision, changes: converted, author: author,
                    complete: completeRevisions.contains(revision))
            }
            return CommittedHistory(revisions: revisions, baseRevision: baseRevision, lastRevision: lastRevision)
        }

        mutating func countUnobservedRevisions(_ history: CommittedHistory) {
            let hidden = history.unobservedRevisions
            guard !hidden.isEmpty else { return }
            let hiddenSet = Set(hidden)
            var possibleAuthors = 0
            var grantedLeases: Set<Int64> = []
            for record in records {
                switch status[record.id]! {
                case .unknown where assignedRevision[record.id] == nil: possibleAuthors += 1
                case .maybe(let revision) where assignedRevision[record.id] == nil && hiddenSet.contains(revision):
                    possibleAuthors += 1
                default: break
                }
                if case .leaseGrant(let lease, _) = record.operation {
                    if case .failed = record.outcome { continue }
                    grantedLeases.insert(lease)
                }
                if case .put(_, _, let lease?) = record.operation { grantedLeases.insert(lease) }
            }
            possibleAuthors += grantedLeases.subtracting(expiredLeases).count
            if hidden.count > possibleAuthors {
                let shown = hidden.prefix(5).map(String.init).joined(separator: ", ")
                violations.append(
                    Violation(
                        kind: .phantomWrite,
                        message: "\(hidden.count) revisions (\(shown)\(hidden.count > 5 ? ", …" : "")) were "
                            + "committed but nothing observed them and only \(possibleAuthors) operations or lease "
                            + "expiries could have made them",
                        revision: hidden.first))
            }
        }

        // MARK: Metadata

        mutating func checkMetadata(_ history: CommittedHistory) {
            for key in history.keys {
                var previous: (revision: Int64, change: CommittedHistory.Change)?
                for entry in history.timelines[key] ?? [] {
                    defer { previous = entry }
                    guard case .put(let kv) = entry.change, kv.createRevision != 0, kv.version != 0 else { continue }
                    if kv.createRevision > kv.modRevision || (kv.createRevision == kv.modRevision) != (kv.version == 1)
                    {
                        violations.append(
                            Violation(
                                kind: .badMetadata,
                                message: "key \"\(key)\" has create revision \(kv.createRevision) and version "
                                    + "\(kv.version) at mod revision \(kv.modRevision)",
                                revision: entry.revision))
                        continue
                    }
                    guard let previous,
                        !history.mayHaveHiddenChange(to: key, after: previous.revision, upTo: entry.revision - 1)
                    else { continue }
                    switch previous.change {
                    case .delete:
                        if kv.createRevision != entry.revision {
                            violations.append(
                                Violation(
                                    kind: .badMetadata,
                                    message: "key \"\(key)\" was deleted at revision \(previous.revision) and put "
                                        + "again here, yet has create revision \(kv.createRevision)",
                                    revision: entry.revision))
                        }
                    case .put(let before) where before.createRevision != 0 && before.version != 0:
                        if kv.createRevision != before.createRevision || kv.version != before.version + 1 {
                            violations.append(
                                Violation(
                                    kind: .badMetadata,
                                    message: "key \"\(key)\" went from create \(before.createRevision) version "
                                        + "\(before.version) at revision \(previous.revision) to create "
                                        + "\(kv.createRevision) version \(kv.version)",
                                    revision: entry.revision))
                        }
                    case .put:
                        break
                    }
                }
            }
        }

        // MARK: Real-time order

        /// Orders operations on one axis: a write at revision r sits at 2r, a read (or an acknowledged no-op) at
        /// revision R at 2R + 1, so that a write must come strictly after everything before it and a read
        /// at or after.
        struct Placed {
            var id: Int
            var invoke: UInt64
            var complete: UInt64?
            var position: Int64
            var isWrite: Bool
        }

        mutating func checkRealTimeOrder() {
            var placed: [Placed] = []
            for record in records {
                if case .leaseGrant = record.operation { continue }
                if record.okReadIsSerializable == true { continue }
                let complete: UInt64? = record.response == nil ? nil : record.completeNanos
                if let revision = assignedRevision[record.id] {
                    placed.append(
                        Placed(
                            id: record.id, invoke: record.invokeNanos, complete: complete, position: 2 * revision,
                            isWrite: true))
                } else if let response = record.response {
                    placed.append(
                        Placed(
                            id: record.id, invoke: record.invokeNanos, complete: complete,
                            position: 2 * response.revision + 1, isWrite: false))
                }
            }
            let completed = placed.filter { $0.complete != nil }.sorted { $0.complete! < $1.complete! }
            // The highest position among the first i completed operations, and whose it is.
            var prefixMax: [(position: Int64, id: Int)] = []
            var best: (position: Int64, id: Int) = (.min, -1)
            for entry in completed {
                if entry.position > best.position { best = (entry.position, entry.id) }
                prefixMax.append(best)
            }
            for entry in placed.sorted(by: { $0.id < $1.id }) {
                var low = 0
                var high = completed.count
                while low < high {
                    let middle = (low + high) / 2
                    if completed[middle].complete! < entry.invoke { low = middle + 1 } else { high = middle }
                }
                guard low > 0 else { continue }
                let before = prefixMax[low - 1]
                let violated = entry.isWrite ? before.position >= entry.position : before.position > entry.position
                guard violated else { continue }
                let earlier = byID[before.id]!
                let earlierWhat =
                    before.position % 2 == 0
                    ? "write at revision \(before.position / 2)" : "read at revision \((before.position - 1) / 2)"
                let record = byID[entry.id]!
                if entry.isWrite {
                    violations.append(
                        Violation(
                            kind: .realTimeOrder,
                            message: "op #\(entry.id) (\(record.operation.shortDescription)) committed at revision "
                                + "\(entry.position / 2) but began after op #\(earlier.id) "
                                + "(\(earlier.operation.shortDescription), \(earlierWhat)) completed",
                            operationIDs: [entry.id, earlier.id], revision: entry.position / 2))
                } else {
                    violations.append(
                        Violation(
                            kind: .staleRead,
                            message: "op #\(entry.id) (\(record.operation.shortDescription)) answered at revision "
                                + "\((entry.position - 1) / 2) but began after op #\(earlier.id) "
                                + "(\(earlier.operation.shortDescription), \(earlierWhat)) completed",
                            operationIDs: [entry.id, earlier.id], revision: (entry.position - 1) / 2))
                }
            }
        }

        // MARK: Read contents

        mutating func checkReads(_ history: CommittedHistory) {
            let knownKeys = history.keys
            for record in records {
                guard let serializable = record.okReadIsSerializable, let response = record.response else { continue }
                let kind: Violation.Kind = serializable ? .serializableRead : .staleRead
                let revision = response.revision
                var returned: [String: StoredValue] = [:]
                for kv in response.kvs { returned[kv.key] = kv }
                for key in record.readKeys(known: knownKeys) {
                    let expected = history.latestChange(to: key, atOrBelow: revision)
                    if let kv = returned[key] {
                        if kv.modRevision > revision {
                            violations.append(
                                Violation(
                                    kind: kind,
                                    message: "read #\(record.id) at revision \(revision) returned \"\(key)\" with "
                                        + "mod revision \(kv.modRevision), from its future",
                                    operationIDs: [record.id], revision: revision))
                        } else if let expected, expected.revision > kv.modRevision {
                            violations.append(
                                Violation(
                                    kind: kind,
                                    message: "read #\(record.id) at revision \(revision) returned \"\(key)\" = "
                                        + "\"\(kv.value)\" from revision \(kv.modRevision), but revision "
                                        + "\(expected.revision) had changed it (\(Self.describe(expected.change)))",
                                    operationIDs: [record.id] + Self.author(of: expected.revision, history),
                                    revision: revision))
                        }
                    } else if let expected, case .put(let kv) = expected.change,
                        !history.mayHaveHiddenChange(to: key, after: expected.revision, upTo: revision)
                    {
                        violations.append(
                            Violation(
                                kind: kind,
                                message: "read #\(record.id) at revision \(revision) did not return \"\(key)\", "
                                    + "which holds \"\(kv.value)\" since revision \(expected.revision)",
                                operationIDs: [record.id] + Self.author(of: expected.revision, history),
                                revision: revision))
                    }
                }
            }
        }

        static func describe(_ change: CommittedHistory.Change) -> String {
            switch change {
            case .put(let kv): "put \"\(kv.value)\""
            case .delete: "delete"
            }
        }

        static func author(of revision: Int64, _ history: CommittedHistory) -> [Int] {
            if case .operation(let id) = history.revisions[revision]?.author { return [id] }
            return []
        }
    }
}
