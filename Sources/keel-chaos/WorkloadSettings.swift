/// What the clients of a run do: how many, how fast, over which keys.
struct WorkloadSettings: Sendable {
    var clients: Int
    /// Operations per second per client, at most (each client has one operation in flight).
    var rate: Double
    /// Every key of the run starts with it; watchers watch it.
    var prefix: String
    var keyCount: Int
    /// The TTL of the leases clients grant (never kept alive, so they expire during the run).
    var leaseTTL: Int64
    var seed: UInt64

    func key(_ number: Int) -> String {
        prefix + "k" + (number < 10 ? "0" : "") + String(number)
    }

    /// The first key after every key of the prefix, for ranges over all of it.
    var prefixEnd: String {
        var scalars = Array(prefix.unicodeScalars)
        let last = scalars.removeLast()
        return String(String.UnicodeScalarView(scalars)) + String(UnicodeScalar(last.value + 1)!)
    }
}
