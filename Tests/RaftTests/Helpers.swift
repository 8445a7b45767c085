import Raft
import RaftTestKit

/// A member whose storage already holds `terms` as its log (entry i has term terms[i-1]) and `term`.
func member(
    _ id: NodeID, voters: [NodeID], learners: [NodeID] = [], logTerms terms: [Term] = [], term: Term = 0,
    configure: (inout RaftConfiguration) -> Void = { _ in }
) -> TestMember {
    let storage = MemoryStorage(voters: voters, learners: learners)
    storage.append(
        terms.enumerated().map { Entry(term: $1, index: LogIndex($0 + 1), data: [UInt8(truncatingIfNeeded: $0)]) })
    storage.setHardState(HardState(term: term, vote: nil, commit: 0))
    var configuration = RaftConfiguration(id: id)
    configure(&configuration)
    return TestMember(configuration: configuration, storage: storage)
}

extension TestMember {
    /// Handles every Ready; returns the messages released, in order.
    mutating func drain() -> [Message] {
        var out: [Message] = []
        while node.hasReady { out += handleReady().messages }
        return out
    }

    var role: RaftRole { node.softState.role }
    var term: Term { node.hardState.term }
    var commit: LogIndex { node.hardState.commit }

    /// Ticks until the election timer fires (at most twice the election timeout).
    mutating func tickUntilCampaign() {
        for _ in 0..<(2 * configuration.electionTick) {
            node.tick()
            if node.softState.role != .follower { return }
        }
    }

    func logTerms() -> [Term] {
        let status = node.status
        return (status.firstIndex...max(status.firstIndex, status.lastIndex)).compactMap { index in
            index <= status.lastIndex ? node.term(at: index) : nil
        }
    }
}

func message(_ from: NodeID, _ to: NodeID, term: Term, _ kind: Message.Kind) -> Message {
    Message(from: from, to: to, term: term, kind: kind)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

extension Message {
    var isAppend: Bool {
        if case .append = kind { return true }
        return false
    }
    var appendedEntries: [Entry] {
        if case .append(_, _, let entries, _) = kind { return entries }
        return []
    }
}
