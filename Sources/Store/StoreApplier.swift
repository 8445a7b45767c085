import MVCC

/// Applies log entries to the key space. It is the only code that changes MVCC state, and it is
/// deterministic: the same sequence of requests on the same state gives the same state and results on
/// every member.
struct StoreApplier {
    var alarms: Set<Alarm>

    /// Applies one request inside the open batch. A request that fails changes nothing.
    mutating func apply(_ request: WriteRequest, to batch: inout MVCCWriteBatch) throws -> WriteResult.Outcome {
        switch request {
        case .put(let put):
            try refuseWhenCorrupt()
            try refuseWhenOutOfSpace()
            return .put(try batch.put(put))
        case .deleteRange(let delete):
            try refuseWhenCorrupt()
            return .deleteRange(try batch.deleteRange(delete))
        case .txn(let txn):
            // etcd 3.4 serves read-only txns outside the corrupt applier, so only writing ones are refused.
            if txn.containsWrite { try refuseWhenCorrupt() }
            if txn.containsPut { try refuseWhenOutOfSpace() }
            return .txn(try batch.txn(txn))
        case .compact(let revision):
            try refuseWhenCorrupt()
            try batch.compact(revision)
            return .compacted
        case .leaseGrant(let id, let ttl):
            try refuseWhenCorrupt()
            try refuseWhenOutOfSpace()
            try batch.grantLease(id: id, ttl: ttl)
            return .leaseGranted(id: id, ttl: ttl)
        case .leaseRevoke(let id):
            try refuseWhenCorrupt()
            try batch.revokeLease(id: id)
            return .leaseRevoked
        case .alarm(let change):
            switch change.action {
            case .activate: alarms.insert(change.alarm)
            case .deactivate: alarms.remove(change.alarm)
            }
            try batch.setMeta(Self.alarmsMetaKey, Self.encode(alarms))
            return .alarms(alarms.sorted { ($0.memberID, $0.kind.rawValue) < ($1.memberID, $1.kind.rawValue) })
        }
    }

    /// etcd 3.4's corrupt applier: while any member is marked CORRUPT, every change to the key space and the
    /// leases is refused on every member; alarm changes still apply, so that the alarm can be cleared.
    private func refuseWhenCorrupt() throws {
        if alarms.contains(where: { $0.kind == .corrupt }) { throw StoreError.corrupt }
    }

    private func refuseWhenOutOfSpace() throws {
        if alarms.contains(where: { $0.kind == .noSpace }) { throw StoreError.noSpace }
    }

    static let alarmsMetaKey = "alarms"

    static func encode(_ alarms: Set<Alarm>) -> [UInt8] {
        var bytes: [UInt8] = []
        for alarm in alarms.sorted(by: { ($0.memberID, $0.kind.rawValue) < ($1.memberID, $1.kind.rawValue) }) {
            withUnsafeBytes(of: alarm.memberID.bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(UInt8(alarm.kind.rawValue))
        }
        return bytes
    }

    static func decodeAlarms(_ bytes: [UInt8]?) -> Set<Alarm> {
        guard let bytes else { return [] }
        var alarms: Set<Alarm> = []
        var offset = 0
        while offset + 9 <= bytes.count {
            var member: UInt64 = 0
            for byte in bytes[offset..<offset + 8] { member = member << 8 | UInt64(byte) }
            if let kind = Alarm.Kind(rawValue: Int(bytes[offset + 8])) {
                alarms.insert(Alarm(memberID: member, kind: kind))
            }
            offset += 9
        }
        return alarms
    }
}
