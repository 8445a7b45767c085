import NIOCore
import Raft
import Testing

@testable import PeerTransport

@Suite("Peer frames")
struct PeerFrameParserTests {
    let handshake = PeerHandshake(purpose: .stream, clusterID: 7, senderID: 1, receiverID: 2)

    func parse(_ bytes: ByteBuffer, role: PeerFrameParser.Role, chunk: Int) throws -> [PeerFrame] {
        var parser = PeerFrameParser(role: role, maxFrameSize: 1 << 20, maxSnapshotSize: 1 << 30)
        var frames: [PeerFrame] = []
        var bytes = bytes
        while bytes.readableBytes > 0 {
            parser.append(bytes.readSlice(length: min(chunk, bytes.readableBytes))!)
            while let frame = try parser.next() { frames.append(frame) }
        }
        #expect(!parser.isInsideFrame)
        return frames
    }

    @Test("a stream connection's frames come out whole however the bytes are split")
    func streamFrames() throws {
        let envelopes: [PeerEnvelope] =
            sampleMessages().filter { if case .snapshot = $0.kind { false } else { true } }.map { .raft($0) }
            + [.application(kind: 3, payload: Array("renew lease 9".utf8), from: 1, to: 2)]
            + [.application(kind: 0, payload: [], from: 1, to: 2)]
        var buffer = ByteBuffer()
        PeerFrameWriter.writeHandshake(handshake, into: &buffer)
        for envelope in envelopes {
            #expect(PeerFrameWriter.writeEnvelope(envelope, maxFrameSize: 1 << 20, into: &buffer))
        }
        let expected = [PeerFrame.handshake(handshake)] + envelopes.map { PeerFrame.envelope($0) }
        for chunk in [1, 2, 3, 7, 64, 100_000] {
            #expect(try parse(buffer, role: .acceptor, chunk: chunk) == expected, "chunks of \(chunk)")
        }
    }

    @Test("a snapshot connection carries one snapshot frame, assembled from any split")
    func snapshotFrame() throws {
        let data = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let snapshot = Snapshot(index: 9, term: 2, confState: ConfState(voters: [1, 2], learners: [3]), data: data)
        let message = Message(from: 1, to: 2, term: 2, kind: .snapshot(snapshot))
        var shake = handshake
        shake.purpose = .snapshot
        var buffer = ByteBuffer()
        PeerFrameWriter.writeHandshake(shake, into: &buffer)
        PeerFrameWriter.writeSnapshotHeader(message, snapshot, into: &buffer)
        buffer.writeBytes(data)
        for chunk in [5, 4096, 1 << 20] {
            #expect(try parse(buffer, role: .acceptor, chunk: chunk) == [.handshake(shake), .snapshot(message)])
        }
        let partial = buffer.getSlice(at: 0, length: 5000)!
        var parser = PeerFrameParser(role: .acceptor, maxFrameSize: 1 << 20, maxSnapshotSize: 1 << 30)
        parser.append(partial)
        #expect(try parser.next() == .handshake(shake))
        #expect(try parser.next() == nil, "a partial snapshot yields nothing yet")
        #expect(parser.isInsideFrame)
    }

    @Test("replies to the initiator")
    func replies() throws {
        var buffer = ByteBuffer()
        PeerFrameWriter.writeAccepted(into: &buffer)
        PeerFrameWriter.writeRejected("cluster id 8 does not match 7", into: &buffer)
        PeerFrameWriter.writeSnapshotAck(into: &buffer)
        #expect(
            try parse(buffer, role: .initiator, chunk: 3)
                == [.accepted, .rejected("cluster id 8 does not match 7"), .snapshotAck]
        )
    }

    @Test("protocol violations are refused")
    func violations() {
        func fails(_ bytes: [UInt8], role: PeerFrameParser.Role = .acceptor) -> Bool {
            var parser = PeerFrameParser(role: role, maxFrameSize: 1024, maxSnapshotSize: 1 << 20)
            parser.append(ByteBuffer(bytes: bytes))
            do {
                while try parser.next() != nil {}
                return false
            } catch {
                return true
            }
        }
        var good = ByteBuffer()
        PeerFrameWriter.writeHandshake(handshake, into: &good)
        let hello = Array(good.readableBytesView)
        #expect(fails(Array("GET / HTTP/1.1\r\n\r\n".utf8)), "an HTTP request is not a handshake")
        #expect(fails([0, 0, 0, 1, 4]), "the first frame must be the handshake")
        var badMagic = hello
        badMagic[5] ^= 0xFF
        #expect(fails(badMagic))
        var badVersion = hello
        badVersion[10] = 9
        #expect(fails(badVersion))
        #expect(fails(hello + [0, 0, 4, 2, 4]), "a frame above the limit is refused before it is read")
        #expect(fails(hello + [0, 0, 0, 0]), "a frame of length zero")
        #expect(fails(hello + [0, 0, 0, 3, 4, 99, 1]), "a malformed Raft message")
        #expect(fails(hello + [0, 0, 0, 1, 1]), "a second handshake")
        #expect(fails([0, 0, 0, 1, 4], role: .initiator), "a Raft frame sent to the initiator")
        var snapshotHello = hello
        snapshotHello[11] = 1
        #expect(
            fails(snapshotHello + [0, 0, 0, 0, 0, 0, 0, 2, 4, 1]),
            "a snapshot connection carries a snapshot frame"
        )
        #expect(fails(snapshotHello + [0, 0, 0, 1, 0, 0, 0, 0, 6]), "a snapshot above the limit")
        #expect(!fails(hello + [0, 0, 0, 6]), "an incomplete frame only waits")
    }

    @Test("envelopes above the maximum frame size are not written")
    func oversizedEnvelope() {
        var buffer = ByteBuffer()
        let envelope = PeerEnvelope.application(kind: 1, payload: Array(repeating: 0, count: 2000), from: 1, to: 2)
        #expect(!PeerFrameWriter.writeEnvelope(envelope, maxFrameSize: 1024, into: &buffer))
        #expect(buffer.readableBytes == 0)
        #expect(PeerFrameWriter.writeEnvelope(envelope, maxFrameSize: 4096, into: &buffer))
        #expect(buffer.readableBytes == PeerFrameWriter.frameSize(envelope))
    }
}
