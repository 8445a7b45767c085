import MVCC
import Raft
import Testing

@testable import Store

/// A structural description of a value, field by field and recursively; two requests with the same
/// description are equal in every field (the request types are not `Equatable`).
private func structure(_ value: some Any) -> String {
    var out = ""
    dump(value, to: &out)
    return out
}

private func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// Encodes, decodes, and checks that nothing was lost and that the decoded request encodes to the same bytes.
private func expectRoundTrip(_ request: WriteRequest, sourceLocation: SourceLocation = #_sourceLocation) {
    let encoded = request.encoded
    #expect(encoded.first == WriteRequest.encodingVersion, sourceLocation: sourceLocation)
    do throws(WriteRequestDecodingError) {
        let decoded = try WriteRequest(encoded: encoded)
        #expect(structure(decoded) == structure(request), sourceLocation: sourceLocation)
        #expect(decoded.encoded == encoded, sourceLocation: sourceLocation)
    } catch {
        Issue.record("decoding failed: \(error)", sourceLocation: sourceLocation)
    }
}

/// Decoding must throw the given reason.
private func expectFailure(
    _ input: [UInt8],
    _ reason: WriteRequestDecodingError.Reason,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    do throws(WriteRequestDecodingError) {
        let decoded = try WriteRequest(encoded: input)
        Issue.record("decoded \(decoded) from malformed input", sourceLocation: sourceLocation)
    } catch {
        #expect(error.reason == reason, "\(error)", sourceLocation: sourceLocation)
    }
}

private let extremes: [Int64] = [0, 1, -1, 63, -64, 64, 127, 128, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]

private let allSortOrders: [RangeRequest.SortOrder] = [.none, .ascend, .descend]
private let allSortTargets: [RangeRequest.SortTarget] = [.key, .version, .create, .mod, .value]
private let allResults: [Compare.Result] = [.equal, .greater, .less, .notEqual]

private func allTargets(_ n: Int64) -> [Compare.Target] {
    [.version(n), .create(n), .mod(n), .value(bytes("v\(n)")), .lease(n)]
}

/// A txn with every kind of op, every compare target and result, and range requests with all options set.
private func richTxn(nested: TxnRequest? = nil) -> TxnRequest {
    var compares: [Compare] = []
    for (i, result) in allResults.enumerated() {
        for target in allTargets(Int64(i) - 2) {
            let rangeEnd: [UInt8] = i % 2 == 0 ? [] : [0]
            compares.append(Compare(key: bytes("c\(i)"), rangeEnd: rangeEnd, result: result, target: target))
        }
    }
    var success: [RequestOp] = []
    for order in allSortOrders {
        for target in allSortTargets {
            success.append(
                .range(
                    RangeRequest(
                        key: bytes("r"),
                        rangeEnd: bytes("s"),
                        limit: 10,
                        revision: 7,
                        sortOrder: order,
                        sortTarget: target,
                        serializable: true,
                        keysOnly: order == .ascend,
                        countOnly: target == .mod,
                        minModRevision: 1,
                        maxModRevision: Int64.max,
                        minCreateRevision: 3,
                        maxCreateRevision: -4
                    )
                )
            )
        }
    }
    success.append(.put(PutRequest(key: bytes("p"), value: bytes("v"), lease: -9, prevKV: true)))
    success.append(.put(PutRequest(key: bytes("q"), ignoreValue: true, ignoreLease: true)))
    success.append(.deleteRange(DeleteRangeRequest(key: bytes("d"), rangeEnd: bytes("e"), prevKV: true)))
    if let nested { success.append(.txn(nested)) }
    let failure: [RequestOp] = [
        .range(RangeRequest(key: [0], rangeEnd: [0])),
        .deleteRange(DeleteRangeRequest(key: bytes("x"))),
        .txn(TxnRequest()),
    ]
    return TxnRequest(compare: compares, success: success, failure: failure)
}

/// A txn nested `depth` levels deep (depth 1: no nested txn), with ops at each level.
private func nestedTxn(depth: Int) -> TxnRequest {
    var txn = TxnRequest(
        compare: [Compare(key: bytes("k"), result: .equal, target: .version(0))],
        success: [.put(PutRequest(key: bytes("leaf"), value: bytes("v")))]
    )
    for level in 1..<max(depth, 1) {
        txn = TxnRequest(
            compare: [Compare(key: bytes("k\(level)"), result: .less, target: .mod(Int64(level)))],
            success: [.txn(txn)],
            failure: [.range(RangeRequest(key: bytes("f\(level)")))]
        )
    }
    return txn
}

/// One request of every case, with values chosen to exercise every field.
private func sampleRequests() -> [WriteRequest] {
    var requests: [WriteRequest] = []
    for bits in 0..<8 {
        requests.append(
            .put(
                PutRequest(
                    key: bytes("key\(bits)"),
                    value: bytes("value"),
                    lease: Int64(bits) - 4,
                    prevKV: bits & 1 != 0,
                    ignoreValue: bits & 2 != 0,
                    ignoreLease: bits & 4 != 0
                )
            )
        )
    }
    requests.append(.deleteRange(DeleteRangeRequest(key: bytes("a"))))
    requests.append(.deleteRange(DeleteRangeRequest(key: bytes("a"), rangeEnd: bytes("b"), prevKV: true)))
    requests.append(.txn(TxnRequest()))
    requests.append(.txn(richTxn()))
    requests.append(.txn(richTxn(nested: richTxn(nested: richTxn()))))
    requests.append(.compact(revision: 42))
    requests.append(.leaseGrant(id: 7, ttl: 60))
    requests.append(.leaseRevoke(id: 7))
    for action in [AlarmChange.Action.activate, .deactivate] {
        for kind in [Alarm.Kind.none, .noSpace, .corrupt] {
            requests.append(.alarm(AlarmChange(action: action, alarm: Alarm(memberID: 0x1234_5678_9abc, kind: kind))))
        }
    }
    return requests
}

@Suite("WriteRequest codec")
struct WriteRequestCodecTests {
    @Test("every case round-trips with every field")
    func everyCase() {
        for request in sampleRequests() { expectRoundTrip(request) }
    }

    @Test("extreme integers, empty and large byte strings round-trip")
    func extremeValues() {
        for n in extremes {
            expectRoundTrip(.compact(revision: n))
            expectRoundTrip(.leaseGrant(id: n, ttl: 0 &- n &+ 1))
            expectRoundTrip(.leaseRevoke(id: n))
            expectRoundTrip(.put(PutRequest(key: [0xff], value: [], lease: n)))
            expectRoundTrip(
                .txn(
                    TxnRequest(
                        compare: allTargets(n).map { Compare(key: [0], result: .notEqual, target: $0) },
                        success: [
                            .range(
                                RangeRequest(
                                    key: [],
                                    limit: n,
                                    revision: n,
                                    minModRevision: n,
                                    maxModRevision: n,
                                    minCreateRevision: n,
                                    maxCreateRevision: n
                                )
                            )
                        ]
                    )
                )
            )
        }
        for memberID: UInt64 in [0, 1, 127, 128, UInt64.max, UInt64.max - 1] {
            expectRoundTrip(.alarm(AlarmChange(action: .activate, alarm: Alarm(memberID: memberID, kind: .corrupt))))
        }
        expectRoundTrip(.put(PutRequest(key: [], value: [])))
        expectRoundTrip(.deleteRange(DeleteRangeRequest(key: [], rangeEnd: [])))
        let large = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let put = WriteRequest.put(PutRequest(key: Array(large.prefix(5000)), value: large))
        let decoded = try? WriteRequest(encoded: put.encoded)
        guard case .put(let back) = decoded else {
            Issue.record("large put did not decode")
            return
        }
        #expect(back.key == Array(large.prefix(5000)) && back.value == large)
        // The overhead of a put is a handful of bytes.
        #expect(put.encoded.count <= large.count + 5000 + 12)
    }

    @Test("txns nested up to the limit round-trip; one level more is refused")
    func nesting() {
        expectRoundTrip(.txn(nestedTxn(depth: 2)))
        expectRoundTrip(.txn(nestedTxn(depth: 10)))
        expectRoundTrip(.txn(nestedTxn(depth: WriteRequest.maxTxnNestingDepth)))
        expectFailure(WriteRequest.txn(nestedTxn(depth: WriteRequest.maxTxnNestingDepth + 1)).encoded, .nestingTooDeep)
    }

    @Test("input cut at any length is refused")
    func truncatedAtEveryLength() {
        for request in sampleRequests() {
            let encoded = request.encoded
            for length in 0..<encoded.count {
                #expect(throws: WriteRequestDecodingError.self) {
                    try WriteRequest(encoded: Array(encoded.prefix(length)))
                }
            }
        }
        expectFailure([], .truncated)
        expectFailure([WriteRequest.encodingVersion], .truncated)
    }

    @Test("unknown versions, tags and flags, bad lengths, long varints and trailing bytes are refused")
    func malformedInput() {
        let version = WriteRequest.encodingVersion
        expectFailure([0, 4, 2], .unsupportedVersion(0))
        expectFailure([version + 1, 4, 2], .unsupportedVersion(version + 1))
        expectFailure([version, 0], .unknownTag(0))
        expectFailure([version, 8], .unknownTag(8))
        expectFailure([version, 1, 8, 0, 0, 0], .unknownFlags(8))
        expectFailure([version, 2, 2, 0, 0], .unknownFlags(2))
        expectFailure([version, 1, 0, 5, 1, 2], .lengthOutOfBounds(5))
        expectFailure([version, 1, 0, 0, 0, 0, 0], .trailingBytes(1))
        expectFailure([version, 4] + [UInt8](repeating: 0xff, count: 10) + [0], .malformedVarint)
        expectFailure([version, 4] + [UInt8](repeating: 0x80, count: 9) + [2], .malformedVarint)
        // Ten bytes are enough for the largest value.
        let longest = try? WriteRequest(encoded: [version, 4] + [UInt8](repeating: 0xff, count: 9) + [1])
        #expect(longest.map { structure($0) } == structure(WriteRequest.compact(revision: Int64.min)))
        // A txn claiming more compares than the input could hold.
        expectFailure([version, 3, 100, 0, 0], .lengthOutOfBounds(100))
        // A compare with target 5, an op with tag 5, a range with sort order 3, an alarm of kind 3.
        expectFailure([version, 3, 1, 0, 5, 0, 0, 0, 0, 0], .unknownTag(5))
        expectFailure([version, 3, 0, 1, 5, 0, 0, 0, 0], .unknownTag(5))
        expectFailure([version, 3, 0, 1, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], .unknownTag(3))
        expectFailure([version, 7, 0, 3, 1], .unknownTag(3))
        expectFailure([version, 7, 2, 1, 1], .unknownTag(2))
    }

    @Test("a decoding error names the field and the offset")
    func errorContext() {
        let encoded = WriteRequest.put(PutRequest(key: bytes("abc"), value: bytes("defg"))).encoded
        do throws(WriteRequestDecodingError) {
            _ = try WriteRequest(encoded: Array(encoded.prefix(9)))
            Issue.record("decoded a truncated put")
        } catch {
            #expect(error.reason == .lengthOutOfBounds(4))
            #expect(error.field == "put.value")
            #expect(error.offset == 7)
            #expect(error.description.contains("put.value"))
        }
    }

    @Test("random bytes and damaged encodings are refused or decoded, never a crash (seeded)")
    func garbage() {
        var random = SplitMix64(seed: 0x5EED_C0DE)
        let samples = sampleRequests().map(\.encoded)
        var decodedCount = 0
        for round in 0..<20_000 {
            var input: [UInt8]
            switch round % 3 {
            case 0:
                // Pure noise, usually with a valid version and tag so that decoding gets past the header.
                let length = Int(random.next(below: 48))
                input = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if input.count >= 2 && round % 2 == 0 {
                    input[0] = WriteRequest.encodingVersion
                    input[1] = UInt8(1 + random.next(below: 7))
                }
            case 1:
                // A valid encoding with a few bytes overwritten.
                input = samples[Int(random.next(below: UInt64(samples.count)))]
                for _ in 0...random.next(below: 3) {
                    input[Int(random.next(below: UInt64(input.count)))] = UInt8(truncatingIfNeeded: random.next())
                }
            default:
                // A valid encoding with a slice removed or duplicated.
                input = samples[Int(random.next(below: UInt64(samples.count)))]
                let start = Int(random.next(below: UInt64(input.count)))
                let end = start + Int(random.next(below: UInt64(input.count - start) + 1))
                if random.next(below: 2) == 0 {
                    input.removeSubrange(start..<end)
                } else {
                    input.insert(contentsOf: input[start..<end], at: start)
                }
            }
            if let decoded = try? WriteRequest(encoded: input) {
                decodedCount += 1
                // Whatever decodes is a well-formed request that survives another round trip.
                let again = try? WriteRequest(encoded: decoded.encoded)
                #expect(again.map { structure($0) } == structure(decoded))
            }
        }
        #expect(decodedCount > 0)
    }
}
