import ArgumentParser

/// How a Range is served, in etcd's benchmark terms: `l` linearizable (through the leader's read index),
/// `s` serializable (from the member's own state).
enum ReadConsistency: String, Sendable, ExpressibleByArgument {
    case l
    case s

    var serializable: Bool { self == .s }
}
