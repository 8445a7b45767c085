/// What a normal Raft entry carries: the encoded `WriteRequest`, and who proposed it under which sequence
/// number, so that the proposing member (and only it) can hand the result back to the waiting client when it
/// applies the entry. An empty entry is a new leader's no-op and carries no envelope.
struct ProposalEnvelope: Sendable, Hashable {
    var proposer: UInt64
    var sequence: UInt64
    var request: [UInt8]

    var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 16 + request.count)
        writer.write(proposer)
        writer.write(sequence)
        writer.writeRaw(request)
        return writer.bytes
    }

    init(proposer: UInt64, sequence: UInt64, request: [UInt8]) {
        self.proposer = proposer
        self.sequence = sequence
        self.request = request
    }

    init(encoded bytes: [UInt8]) throws(ByteReader.Failure) {
        var reader = ByteReader(bytes)
        proposer = try reader.readUInt64()
        sequence = try reader.readUInt64()
        request = reader.readRest()
    }
}
