import MVCC

/// The binary form of a `WriteRequest`, as it is stored in the Raft log and replicated.
///
/// Guarantees: `WriteRequest(encoded: request.encoded)` gives back every case and every field of the
/// request, nested txns included; decoding never traps on any input (every read is bounds-checked) and
/// refuses anything that is not a complete request of a known format version.
///
/// Layout (format version 1). Integers are unsigned LEB128 varints; signed ones (`s`) are zigzag-encoded
/// first, so that small negative lease ids stay short. Byte strings are a varint length, then the bytes.
///
///     request     = version:u8 tag:u8 body
///     1 put       = flags:u8 (prevKV 1, ignoreValue 2, ignoreLease 4) key value lease:s
///     2 delete    = flags:u8 (prevKV 1) key rangeEnd
///     3 txn       = count compare* count op* count op*        (compares, success, failure)
///     4 compact   = revision:s
///     5 grant     = id:s ttl:s
///     6 revoke    = id:s
///     7 alarm     = action:u8 (0 activate, 1 deactivate) kind:u8 (Alarm.Kind raw value) memberID:u
///     compare     = result:u8 (0 =, 1 >, 2 <, 3 !=) target:u8 key rangeEnd operand
///                   (targets 0 version, 1 create, 2 mod, 4 lease: operand:s; 3 value: operand bytes)
///     op          = tag:u8 (1 range, 2 put, 3 delete, 4 txn) body
///     range       = flags:u8 (serializable 1, keysOnly 2, countOnly 4) sortOrder:u8 (0 none, 1 ascend,
///                   2 descend) sortTarget:u8 (0 key, 1 version, 2 create, 3 mod, 4 value) key rangeEnd
///                   limit:s revision:s minMod:s maxMod:s minCreate:s maxCreate:s
///
/// The numbering of compare results and targets and of sort orders and targets is etcd's.
extension WriteRequest {
    /// The format version written in the first byte.
    public static let encodingVersion: UInt8 = 1

    /// The deepest nesting of txns that decoding accepts (a txn with no nested txn is at depth 1). Encoding
    /// does not check it; requests from the etcd API stay far below it, since protobuf decoding stops at 100
    /// message levels and every txn level takes two.
    public static let maxTxnNestingDepth = 128

    /// The request in its binary form.
    public var encoded: [UInt8] {
        var writer = WriteRequestWriter(capacity: 2 + WriteRequestWriter.estimatedSize(of: self))
        writer.byte(Self.encodingVersion)
        switch self {
        case .put(let put):
            writer.byte(Tag.put)
            writer.put(put)
        case .deleteRange(let delete):
            writer.byte(Tag.deleteRange)
            writer.deleteRange(delete)
        case .txn(let txn):
            writer.byte(Tag.txn)
            writer.txn(txn)
        case .compact(let revision):
            writer.byte(Tag.compact)
            writer.signed(revision)
        case .leaseGrant(let id, let ttl):
            writer.byte(Tag.leaseGrant)
            writer.signed(id)
            writer.signed(ttl)
        case .leaseRevoke(let id):
            writer.byte(Tag.leaseRevoke)
            writer.signed(id)
        case .alarm(let change):
            writer.byte(Tag.alarm)
            switch change.action {
            case .activate: writer.byte(0)
            case .deactivate: writer.byte(1)
            }
            writer.byte(UInt8(truncatingIfNeeded: change.alarm.kind.rawValue))
            writer.varint(change.alarm.memberID)
        }
        return writer.bytes
    }

    /// Decodes a request written by `encoded`. Throws, naming the field and byte offset, on truncated input,
    /// an unknown version, tag or flag, a length beyond the input, too deep a nesting or trailing bytes.
    public init(encoded bytes: [UInt8]) throws(WriteRequestDecodingError) {
        var reader = WriteRequestReader(bytes)
        let versionOffset = reader.offset
        let version = try reader.byte("version")
        guard version == Self.encodingVersion else {
            throw WriteRequestDecodingError(
                reason: .unsupportedVersion(version),
                field: "version",
                offset: versionOffset
            )
        }
        let tagOffset = reader.offset
        switch try reader.byte("request tag") {
        case Tag.put: self = .put(try reader.put())
        case Tag.deleteRange: self = .deleteRange(try reader.deleteRange())
        case Tag.txn: self = .txn(try reader.txn(depth: 1))
        case Tag.compact: self = .compact(revision: try reader.signed("compact.revision"))
        case Tag.leaseGrant:
            let id = try reader.signed("leaseGrant.id")
            self = .leaseGrant(id: id, ttl: try reader.signed("leaseGrant.ttl"))
        case Tag.leaseRevoke: self = .leaseRevoke(id: try reader.signed("leaseRevoke.id"))
        case Tag.alarm: self = .alarm(try reader.alarmChange())
        case let tag:
            throw WriteRequestDecodingError(reason: .unknownTag(tag), field: "request tag", offset: tagOffset)
        }
        guard reader.remaining == 0 else {
            throw WriteRequestDecodingError(
                reason: .trailingBytes(reader.remaining),
                field: "end of request",
                offset: reader.offset
            )
        }
    }

    fileprivate enum Tag {
        static let put: UInt8 = 1
        static let deleteRange: UInt8 = 2
        static let txn: UInt8 = 3
        static let compact: UInt8 = 4
        static let leaseGrant: UInt8 = 5
        static let leaseRevoke: UInt8 = 6
        static let alarm: UInt8 = 7
    }
}

/// Tags of `RequestOp` cases inside a txn.
private enum RequestOpTag {
    static let range: UInt8 = 1
    static let put: UInt8 = 2
    static let deleteRange: UInt8 = 3
    static let txn: UInt8 = 4
}

/// Flag bits of the boolean fields.
private enum RequestFlag {
    static let putPrevKV: UInt8 = 1
    static let putIgnoreValue: UInt8 = 2
    static let putIgnoreLease: UInt8 = 4
    static let putAll: UInt8 = 7

    static let deletePrevKV: UInt8 = 1
    static let deleteAll: UInt8 = 1

    static let rangeSerializable: UInt8 = 1
    static let rangeKeysOnly: UInt8 = 2
    static let rangeCountOnly: UInt8 = 4
    static let rangeAll: UInt8 = 7
}

// MARK: - Encoding

/// Appends the binary form to one buffer, reserved up front from a size estimate so that encoding a request
/// allocates once.
private struct WriteRequestWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func string(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func put(_ put: PutRequest) {
        byte(
            (put.prevKV ? RequestFlag.putPrevKV : 0) | (put.ignoreValue ? RequestFlag.putIgnoreValue : 0)
                | (put.ignoreLease ? RequestFlag.putIgnoreLease : 0)
        )
        string(put.key)
        string(put.value)
        signed(put.lease)
    }

    mutating func deleteRange(_ delete: DeleteRangeRequest) {
        byte(delete.prevKV ? RequestFlag.deletePrevKV : 0)
        string(delete.key)
        string(delete.rangeEnd)
    }

    mutating func range(_ range: RangeRequest) {
        byte(
            (range.serializable ? RequestFlag.rangeSerializable : 0) | (range.keysOnly ? RequestFlag.rangeKeysOnly : 0)
                | (range.countOnly ? RequestFlag.rangeCountOnly : 0)
        )
        switch range.sortOrder {
        case .none: byte(0)
        case .ascend: byte(1)
        case .descend: byte(2)
        }
        switch range.sortTarget {
        case .key: byte(0)
        case .version: byte(1)
        case .create: byte(2)
        case .mod: byte(3)
        case .value: byte(4)
        }
        string(range.key)
        string(range.rangeEnd)
        signed(range.limit)
        signed(range.revision)
        signed(range.minModRevision)
        signed(range.maxModRevision)
        signed(range.minCreateRevision)
        signed(range.maxCreateRevision)
    }

    mutating func compare(_ compare: Compare) {
        switch compare.result {
        case .equal: byte(0)
        case .greater: byte(1)
        case .less: byte(2)
        case .notEqual: byte(3)
        }
        switch compare.target {
        case .version: byte(0)
        case .create: byte(1)
        case .mod: byte(2)
        case .value: byte(3)
        case .lease: byte(4)
        }
        string(compare.key)
        string(compare.rangeEnd)
        switch compare.target {
        case .version(let v), .create(let v), .mod(let v), .lease(let v): signed(v)
        case .value(let v): string(v)
        }
    }

    mutating func txn(_ txn: TxnRequest) {
        varint(UInt64(txn.compare.count))
        for compare in txn.compare { self.compare(compare) }
        ops(txn.success)
        ops(txn.failure)
    }

    private mutating func ops(_ ops: [RequestOp]) {
        varint(UInt64(ops.count))
        for op in ops {
            switch op {
            case .range(let range):
                byte(RequestOpTag.range)
                self.range(range)
            case .put(let put):
                byte(RequestOpTag.put)
                self.put(put)
            case .deleteRange(let delete):
                byte(RequestOpTag.deleteRange)
                deleteRange(delete)
            case .txn(let txn):
                byte(RequestOpTag.txn)
                self.txn(txn)
            }
        }
    }

    // MARK: Size estimates (an upper bound for the byte strings, generous for the integers)

    static func estimatedSize(of request: WriteRequest) -> Int {
        switch request {
        case .put(let put): return estimatedSize(of: put)
        case .deleteRange(let delete): return 21 + delete.key.count + delete.rangeEnd.count
        case .txn(let txn): return estimatedSize(of: txn)
        case .compact, .leaseRevoke: return 10
        case .leaseGrant: return 20
        case .alarm: return 12
        }
    }

    private static func estimatedSize(of put: PutRequest) -> Int {
        31 + put.key.count + put.value.count
    }

    private static func estimatedSize(of txn: TxnRequest) -> Int {
        var size = 30
        for compare in txn.compare {
            size += 32 + compare.key.count + compare.rangeEnd.count
            if case .value(let value) = compare.target { size += value.count }
        }
        for op in txn.success { size += estimatedSize(of: op) }
        for op in txn.failure { size += estimatedSize(of: op) }
        return size
    }

    private static func estimatedSize(of op: RequestOp) -> Int {
        switch op {
        case .range(let range): return 84 + range.key.count + range.rangeEnd.count
        case .put(let put): return 1 + estimatedSize(of: put)
        case .deleteRange(let delete): return 22 + delete.key.count + delete.rangeEnd.count
        case .txn(let nested): return 1 + estimatedSize(of: nested)
        }
    }
}

// MARK: - Decoding

/// Reads the binary form; every read checks the bounds first and reports failures with the field's name
/// and the offset where its value starts.
private struct WriteRequestReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    private func failure(
        _ reason: WriteRequestDecodingError.Reason,
        _ field: StaticString,
        at offset: Int
    ) -> WriteRequestDecodingError {
        WriteRequestDecodingError(reason: reason, field: "\(field)", offset: offset)
    }

    mutating func byte(_ field: StaticString) throws(WriteRequestDecodingError) -> UInt8 {
        guard offset < bytes.count else { throw failure(.truncated, field, at: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint(_ field: StaticString) throws(WriteRequestDecodingError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw failure(.truncated, field, at: start) }
            let b = bytes[offset]
            offset += 1
            // The tenth byte holds only the top bit of a UInt64.
            if shift == 63 && b > 1 { throw failure(.malformedVarint, field, at: start) }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func signed(_ field: StaticString) throws(WriteRequestDecodingError) -> Int64 {
        let raw = try varint(field)
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func string(_ field: StaticString) throws(WriteRequestDecodingError) -> [UInt8] {
        let start = offset
        let count = try varint(field)
        guard count <= UInt64(remaining) else { throw failure(.lengthOutOfBounds(count), field, at: start) }
        let end = offset + Int(count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// An element count, refused when the remaining input could not hold that many elements of at least
    /// `minimumSize` bytes (so garbage cannot make the decoder reserve huge arrays).
    mutating func count(_ field: StaticString, minimumSize: Int) throws(WriteRequestDecodingError) -> Int {
        let start = offset
        let count = try varint(field)
        guard count <= UInt64(remaining / minimumSize) else {
            throw failure(.lengthOutOfBounds(count), field, at: start)
        }
        return Int(count)
    }

    mutating func flags(_ field: StaticString, allowed: UInt8) throws(WriteRequestDecodingError) -> UInt8 {
        let start = offset
        let value = try byte(field)
        guard value & ~allowed == 0 else { throw failure(.unknownFlags(value), field, at: start) }
        return value
    }

    /// A one-byte enumeration tag, refused unless below `count` (the number of cases it selects from).
    mutating func tag(_ field: StaticString, below count: UInt8) throws(WriteRequestDecodingError) -> UInt8 {
        let start = offset
        let tag = try byte(field)
        guard tag < count else { throw failure(.unknownTag(tag), field, at: start) }
        return tag
    }

    mutating func put() throws(WriteRequestDecodingError) -> PutRequest {
        let bits = try flags("put.flags", allowed: RequestFlag.putAll)
        let key = try string("put.key")
        let value = try string("put.value")
        let lease = try signed("put.lease")
        return PutRequest(
            key: key,
            value: value,
            lease: lease,
            prevKV: bits & RequestFlag.putPrevKV != 0,
            ignoreValue: bits & RequestFlag.putIgnoreValue != 0,
            ignoreLease: bits & RequestFlag.putIgnoreLease != 0
        )
    }

    mutating func deleteRange() throws(WriteRequestDecodingError) -> DeleteRangeRequest {
        let bits = try flags("deleteRange.flags", allowed: RequestFlag.deleteAll)
        let key = try string("deleteRange.key")
        let rangeEnd = try string("deleteRange.rangeEnd")
        return DeleteRangeRequest(key: key, rangeEnd: rangeEnd, prevKV: bits & RequestFlag.deletePrevKV != 0)
    }

    mutating func range() throws(WriteRequestDecodingError) -> RangeRequest {
        let bits = try flags("range.flags", allowed: RequestFlag.rangeAll)
        let sortOrder: RangeRequest.SortOrder
        switch try tag("range.sortOrder", below: 3) {
        case 0: sortOrder = .none
        case 1: sortOrder = .ascend
        default: sortOrder = .descend
        }
        let sortTarget: RangeRequest.SortTarget
        switch try tag("range.sortTarget", below: 5) {
        case 0: sortTarget = .key
        case 1: sortTarget = .version
        case 2: sortTarget = .create
        case 3: sortTarget = .mod
        default: sortTarget = .value
        }
        let key = try string("range.key")
        let rangeEnd = try string("range.rangeEnd")
        let limit = try signed("range.limit")
        let revision = try signed("range.revision")
        let minMod = try signed("range.minModRevision")
        let maxMod = try signed("range.maxModRevision")
        let minCreate = try signed("range.minCreateRevision")
        let maxCreate = try signed("range.maxCreateRevision")
        return RangeRequest(
            key: key,
            rangeEnd: rangeEnd,
            limit: limit,
            revision: revision,
            sortOrder: sortOrder,
            sortTarget: sortTarget,
            serializable: bits & RequestFlag.rangeSerializable != 0,
            keysOnly: bits & RequestFlag.rangeKeysOnly != 0,
            countOnly: bits & RequestFlag.rangeCountOnly != 0,
            minModRevision: minMod,
            maxModRevision: maxMod,
            minCreateRevision: minCreate,
            maxCreateRevision: maxCreate
        )
    }

    mutating func compare() throws(WriteRequestDecodingError) -> Compare {
        let result: Compare.Result
        switch try tag("compare.result", below: 4) {
        case 0: result = .equal
        case 1: result = .greater
        case 2: result = .less
        default: result = .notEqual
        }
        let targetOffset = offset
        let targetTag = try byte("compare.target")
        let key = try string("compare.key")
        let rangeEnd = try string("compare.rangeEnd")
        let target: Compare.Target
        switch targetTag {
        case 0: target = .version(try signed("compare.version"))
        case 1: target = .create(try signed("compare.createRevision"))
        case 2: target = .mod(try signed("compare.modRevision"))
        case 3: target = .value(try string("compare.value"))
        case 4: target = .lease(try signed("compare.lease"))
        default: throw failure(.unknownTag(targetTag), "compare.target", at: targetOffset)
        }
        return Compare(key: key, rangeEnd: rangeEnd, result: result, target: target)
    }

    /// The smallest encodings: a compare (result, target, two empty strings, an operand) and an op (tag,
    /// then at least three bytes for any case).
    private static let minimumCompareSize = 5
    private static let minimumOpSize = 4

    mutating func txn(depth: Int) throws(WriteRequestDecodingError) -> TxnRequest {
        guard depth <= WriteRequest.maxTxnNestingDepth else { throw failure(.nestingTooDeep, "txn", at: offset) }
        let compareCount = try count("txn.compare count", minimumSize: Self.minimumCompareSize)
        var compares: [Compare] = []
        compares.reserveCapacity(compareCount)
        for _ in 0..<compareCount { compares.append(try compare()) }
        let success = try ops("txn.success count", depth: depth)
        let otherwise = try ops("txn.failure count", depth: depth)
        return TxnRequest(compare: compares, success: success, failure: otherwise)
    }

    private mutating func ops(_ field: StaticString, depth: Int) throws(WriteRequestDecodingError) -> [RequestOp] {
        let opCount = try count(field, minimumSize: Self.minimumOpSize)
        var ops: [RequestOp] = []
        ops.reserveCapacity(opCount)
        for _ in 0..<opCount {
            let tagOffset = offset
            switch try byte("txn op tag") {
            case RequestOpTag.range: ops.append(.range(try range()))
            case RequestOpTag.put: ops.append(.put(try put()))
            case RequestOpTag.deleteRange: ops.append(.deleteRange(try deleteRange()))
            case RequestOpTag.txn: ops.append(.txn(try txn(depth: depth + 1)))
            case let tag: throw failure(.unknownTag(tag), "txn op tag", at: tagOffset)
            }
        }
        return ops
    }

    mutating func alarmChange() throws(WriteRequestDecodingError) -> AlarmChange {
        let action: AlarmChange.Action = try tag("alarm.action", below: 2) == 0 ? .activate : .deactivate
        let kindOffset = offset
        let rawKind = try byte("alarm.kind")
        guard let kind = Alarm.Kind(rawValue: Int(rawKind)) else {
            throw failure(.unknownTag(rawKind), "alarm.kind", at: kindOffset)
        }
        let memberID = try varint("alarm.memberID")
        return AlarmChange(action: action, alarm: Alarm(memberID: memberID, kind: kind))
    }
}
