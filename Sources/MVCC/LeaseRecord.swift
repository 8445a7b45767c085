/// A granted lease as the key space keeps it. Expiry is the business of the layer above, which revokes.
public struct LeaseRecord: Equatable, Sendable {
    public var id: Int64
    /// The TTL it was granted with, in seconds.
    public var ttl: Int64

    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }
}
