import PeerTransport
import Raft
import Testing

@Suite("Raft message codec")
struct RaftMessageCodecTests {
    @Test("every message kind survives a round trip, and its size is predicted exactly")
    func roundTripEveryKind() throws {
        let messages = sampleMessages()
        #expect(messages.count >= 12)
        for message in messages {
            let bytes = RaftMessageCodec.encode(message)
            #expect(bytes.count == RaftMessageCodec.encodedSize(message), "\(message)")
            #expect(try RaftMessageCodec.decode(bytes) == message)
        }
    }

    @Test("a 5 MiB snapshot survives a round trip")
    func largeSnapshot() throws {
        var random = TestRandom(state: 5)
        let data = (0..<(5 << 20) / 8).flatMap { _ in withUnsafeBytes(of: random.next()) { Array($0) } }
        let snapshot = Snapshot(
            index: 1 << 33,
            term: 9,
            confState: ConfState(voters: [1, 2, 3], learners: [4]),
            data: data
        )
        let message = Message(from: 1, to: 2, term: 9, kind: .snapshot(snapshot))
        let bytes = RaftMessageCodec.encode(message)
        #expect(bytes.count < data.count + 64, "the encoding adds only a small header")
        #expect(try RaftMessageCodec.decode(bytes) == message)
    }

    @Test("small values take one byte each, so a heartbeat stays tiny")
    func compact() {
        let message = Message(from: 1, to: 2, term: 3, kind: .heartbeat(commit: 4, context: nil))
        #expect(RaftMessageCodec.encode(message).count == 6)
    }

    @Test("input cut anywhere throws a truncation error")
    func truncatedInput() {
        for message in sampleMessages() {
            let bytes = RaftMessageCodec.encode(message)
            for cut in 0..<bytes.count {
                do {
                    _ = try RaftMessageCodec.decode(Array(bytes[..<cut]))
                    Issue.record("cut at \(cut) of \(message) decoded")
                } catch {
                    #expect(error.isTruncation, "cut at \(cut) of \(message): \(error)")
                }
            }
        }
    }

    @Test("a large snapshot cut at sampled points throws a truncation error")
    func truncatedSnapshot() {
        let snapshot = Snapshot(
            index: 7,
            term: 2,
            confState: ConfState(voters: [1]),
            data: Array(repeating: 1, count: 1 << 20)
        )
        let bytes = RaftMessageCodec.encode(Message(from: 1, to: 2, term: 2, kind: .snapshot(snapshot)))
        let cuts = Array(0..<64) + stride(from: 64, to: bytes.count, by: bytes.count / 32) + [bytes.count - 1]
        for cut in cuts {
            do {
                _ = try RaftMessageCodec.decode(Array(bytes[..<cut]))
                Issue.record("cut at \(cut) decoded")
            } catch {
                #expect(error.isTruncation)
            }
        }
    }

    @Test("trailing bytes, unknown kinds and bad flags are refused with their field")
    func malformedInput() {
        let heartbeat = RaftMessageCodec.encode(
            Message(from: 1, to: 2, term: 3, kind: .heartbeat(commit: 4, context: nil))
        )
        #expect(throws: RaftMessageCodecError(reason: .trailingBytes(1), field: "message", offset: 6)) {
            try RaftMessageCodec.decode(heartbeat + [0])
        }
        #expect(throws: RaftMessageCodecError(reason: .unexpectedKind(99), field: "message kind", offset: 4)) {
            try RaftMessageCodec.decode([99, 1, 2, 3])
        }
        var badFlag = heartbeat
        badFlag[5] = 7
        #expect(throws: RaftMessageCodecError(reason: .invalidFlags(7), field: "context", offset: 6)) {
            try RaftMessageCodec.decode(badFlag)
        }
        let overflow: [UInt8] = [8] + Array(repeating: 0xFF, count: 9) + [0x02, 1, 1]
        #expect(throws: RaftMessageCodecError(reason: .varintOverflow, field: "from", offset: 1)) {
            try RaftMessageCodec.decode(overflow)
        }
        // An entry count far larger than the input must not be believed (nor allocated).
        let hugeCount: [UInt8] = [12, 1, 2, 0] + [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(throws: RaftMessageCodecError.self) { try RaftMessageCodec.decode(hugeCount) }
    }

    @Test("random and corrupted input never crashes the decoder")
    func garbage() {
        var random = TestRandom(state: 42)
        var decoded = 0
        for _ in 0..<20_000 {
            let count = Int(random.next() % 48)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if (try? RaftMessageCodec.decode(bytes)) != nil { decoded += 1 }
        }
        for message in sampleMessages() {
            let original = RaftMessageCodec.encode(message)
            for _ in 0..<200 {
                var bytes = original
                let flips = 1 + Int(random.next() % 3)
                for _ in 0..<flips {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                if let result = try? RaftMessageCodec.decode(bytes) {
                    #expect(RaftMessageCodec.encodedSize(result) <= bytes.count + 16)
                }
            }
        }
        #expect(decoded < 20_000)
    }
}
