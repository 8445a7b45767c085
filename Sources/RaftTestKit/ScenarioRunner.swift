import Raft

/// Runs scenario scripts in the style of etcd-io/raft's interaction tests: each command drives the group
/// by hand (who ticks, which Ready is handled, which messages are delivered) and prints what happened, so
/// that the expected output is a readable transcript of the protocol.
///
/// A script is a sequence of blocks separated by blank lines: optional `#` comment lines, a command line,
/// `----`, and the expected output. See `testdata/raft/*.txt`.
public struct ScenarioRunner {
    private var members: [NodeID: TestMember] = [:]
    /// Messages waiting to be delivered, per recipient, in order.
    private var mailboxes: [NodeID: [Message]] = [:]
    /// Readies handed out with `ready` and not yet persisted, per member.
    private var unpersisted: [NodeID: [Ready]] = [:]
    private var cut: Set<[NodeID]> = []
    private var nextID: NodeID = 1

    public init() {}

    private var ids: [NodeID] { members.keys.sorted() }

    /// Runs one command; returns its output.
    public mutating func run(_ line: String) -> String {
        let words = line.split(separator: " ").map(String.init)
        guard let command = words.first else { return "" }
        var positional: [String] = []
        var named: [String: String] = [:]
        for word in words.dropFirst() {
            if let equals = word.firstIndex(of: "=") {
                named[String(word[..<equals])] = String(word[word.index(after: equals)...])
            } else {
                positional.append(word)
            }
        }
        let numbers = positional.compactMap { NodeID($0) }
        var out: [String] = []
        switch command {
        case "add-nodes":
            addNodes(count: Int(positional.first ?? "1") ?? 1, named)
            out.append("ok")
        case "campaign":
            members[numbers[0]]!.node.campaign()
        case "tick":
            let count = numbers.count > 1 ? Int(numbers[1]) : 1
            for _ in 0..<count { members[numbers[0]]!.node.tick() }
        case "tick-heartbeat":
            for _ in 0..<members[numbers[0]]!.configuration.heartbeatTick { members[numbers[0]]!.node.tick() }
        case "tick-election":
            // Ticks until the election timer fires (its randomized timeout is at most 2 × electionTick).
            let id = numbers[0]
            let electionTick = members[id]!.configuration.electionTick
            for tick in 0..<(2 * electionTick) {
                if tick >= electionTick && members[id]!.node.hasReady { break }
                members[id]!.node.tick()
            }
        case "propose":
            out.append(
                report { () throws(RaftError) in try members[numbers[0]]!.node.propose(Array(positional[1].utf8)) })
        case "propose-conf-change":
            let kind: ConfigChange.Kind
            switch positional[1] {
            case "add-voter": kind = .addVoter
            case "add-learner": kind = .addLearner
            default: kind = .removeNode
            }
            let change = ConfigChange(kind, NodeID(positional[2])!)
            out.append(report { () throws(RaftError) in try members[numbers[0]]!.node.proposeConfigChange(change) })
        case "read-index":
            out.append(
                report { () throws(RaftError) in
                    try members[numbers[0]]!.node.readIndex(context: Array(positional[1].utf8))
                })
        case "transfer-leadership":
            out.append(
                report { () throws(RaftError) in try members[numbers[0]]!.node.transferLeadership(to: numbers[1]) })
        case "process-ready":
            for id in numbers.isEmpty ? ids : numbers where members[id]!.node.hasReady { processReady(id, into: &out) }
        case "ready":
            handOutReady(numbers[0], into: &out)
        case "persist":
            persist(numbers[0], into: &out)
        case "deliver-msgs":
            for id in numbers.isEmpty ? ids : numbers { deliver(to: id, drop: named["drop"] == "true", into: &out) }
        case "stabilize":
            stabilize(numbers.isEmpty ? ids : numbers, into: &out)
        case "status":
            for id in numbers.isEmpty ? ids : numbers { out.append(members[id]!.node.status.description) }
        case "raft-state":
            for id in ids {
                let node = members[id]!.node
                out.append(
                    "\(id): \(node.softState.role) term=\(node.hardState.term)"
                        + " leader=\(node.softState.leader.map(String.init) ?? "-") commit=\(node.hardState.commit)"
                )
            }
        case "raft-log":
            let node = members[numbers[0]]!.node
            let status = node.status
            let entries = node.entries(from: status.firstIndex, to: status.lastIndex + 1) ?? []
            out.append(
                entries.isEmpty
                    ? "log is empty: first index=\(status.firstIndex), last index=\(status.lastIndex)"
                    : entries.map(\.description).joined(separator: "\n"))
        case "applied":
            for id in numbers.isEmpty ? ids : numbers {
                out.append("\(id): " + members[id]!.appliedData.joined(separator: " "))
            }
        case "isolate":
            for other in ids where other != numbers[0] {
                cut.insert([numbers[0], other])
                cut.insert([other, numbers[0]])
            }
        case "cut":
            cut.insert([numbers[0], numbers[1]])
        case "heal":
            cut = []
        case "compact":
            members[numbers[0]]!.compact(through: numbers[1])
            out.append("first index=\(members[numbers[0]]!.node.status.firstIndex)")
        case "restart":
            members[numbers[0]]!.restart()
            unpersisted[numbers[0]] = []
        default:
            out.append("unknown command \(command)")
        }
        return out.joined(separator: "\n")
    }

    private func report(_ body: () throws(RaftError) -> Void) -> String {
        do {
            try body()
            return "ok"
        } catch {
            return "refused: \(error)"
        }
    }

    private mutating func addNodes(count: Int, _ named: [String: String]) {
        func list(_ key: String) -> [NodeID]? {
            named[key].map { $0.split(separator: ",").compactMap { NodeID($0) } }
        }
        let created = (0..<count).map { nextID + NodeID($0) }
        nextID += NodeID(count)
        let voters = list("voters") ?? created
        let confState = ConfState(voters: voters, learners: list("learners") ?? [])
        for id in created {
            var configuration = RaftConfiguration(id: id)
            configuration.preVote = named["prevote"] == "true"
            configuration.checkQuorum = named["checkquorum"] == "true"
            if let value = named["inflight"].flatMap(Int.init) { configuration.maxInflightMessages = value }
            if let value = named["batch"].flatMap(Int.init) { configuration.maxEntriesPerMessage = value }
            let storage: MemoryStorage
            if voters.isEmpty {
                storage = MemoryStorage()
            } else if named["bootstrap"] == "true" {
                storage = MemoryStorage(bootstrap: confState)
            } else {
                storage = MemoryStorage(voters: confState.voters, learners: confState.learners)
            }
            members[id] = TestMember(configuration: configuration, storage: storage)
        }
    }

    private mutating func processReady(_ id: NodeID, into out: inout [String]) {
        out.append("> \(id) handling Ready")
        let (ready, messages) = members[id]!.handleReady()
        out.append(indent(ready.description))
        for message in messages { mailboxes[message.to, default: []].append(message) }
    }

    private mutating func handOutReady(_ id: NodeID, into out: inout [String]) {
        let ready = members[id]!.node.ready()
        out.append("> \(id) Ready (not yet persisted)")
        out.append(indent(ready.description))
        for message in ready.messages { mailboxes[message.to, default: []].append(message) }
        unpersisted[id, default: []].append(ready)
    }

    private mutating func persist(_ id: NodeID, into out: inout [String]) {
        for ready in unpersisted[id] ?? [] {
            members[id]!.write(ready)
            members[id]!.node.persisted(through: ready.number)
            out.append("> \(id) persisted Ready #\(ready.number)")
            for message in ready.persistedMessages {
                out.append("  release \(message)")
                mailboxes[message.to, default: []].append(message)
            }
            members[id]!.apply(ready)
        }
        unpersisted[id] = []
    }

    private mutating func deliver(to id: NodeID, drop: Bool, into out: inout [String]) {
        guard let messages = mailboxes[id], !messages.isEmpty else { return }
        mailboxes[id] = []
        out.append("> \(id) receiving messages")
        for message in messages {
            if drop || cut.contains([message.from, message.to]) || members[id] == nil {
                out.append("  \(message) DROPPED")
                continue
            }
            out.append("  \(message)")
            members[id]!.node.step(message)
            if case .snapshot = message.kind {
                // The transport reports the snapshot as sent.
                members[message.from]?.node.reportSnapshot(to: id, succeeded: true)
            }
        }
    }

    private mutating func stabilize(_ only: [NodeID], into out: inout [String]) {
        for _ in 0..<1_000 {
            var progressed = false
            for id in only where members[id]!.node.hasReady {
                processReady(id, into: &out)
                progressed = true
            }
            for id in only where !(mailboxes[id] ?? []).isEmpty {
                deliver(to: id, drop: false, into: &out)
                progressed = true
            }
            if !progressed { return }
        }
        out.append("did not stabilize")
    }

    private func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}
