import EtcdAPI
import Foundation

/// The `-w` formats etcdctl offers, protobuf aside.
enum OutputFormat: String, Sendable {
    case simple, json, fields, table
}

/// Prints responses as etcdctl 3.4 does. "simple" is its plain text, "json" its `json.Marshal` of the Go client's
/// response types (their field names, zero values omitted where Go omits them), "fields" its `"Name" : value`
/// lines. "table" reaches only the printers that draw tables: `CommandContext.print` rejects it for the others.
struct ResponsePrinter: Sendable {
    let format: OutputFormat
    let hex: Bool
    var valueOnly = false

    typealias Header = Etcdserverpb_ResponseHeader
    typealias KeyValue = Mvccpb_KeyValue

    // MARK: keys and values

    func get(_ response: Etcdserverpb_RangeResponse, into out: inout Output) {
        switch format {
        case .simple: response.kvs.forEach { simple($0, into: &out) }
        case .json: out.line(Self.json(response).text)
        case .fields, .table:
            fields(response.header, into: &out)
            response.kvs.forEach { fields($0, prefix: "", into: &out) }
            out.fields(("More", response.more), ("Count", response.count))
        }
    }

    func put(_ response: Etcdserverpb_PutResponse, into out: inout Output) {
        switch format {
        case .simple:
            out.line("OK")
            if response.hasPrevKv { simple(response.prevKv, into: &out) }
        case .json: out.line(Self.json(response).text)
        case .fields, .table:
            fields(response.header, into: &out)
            if response.hasPrevKv { fields(response.prevKv, prefix: "Prev", into: &out) }
        }
    }

    func delete(_ response: Etcdserverpb_DeleteRangeResponse, into out: inout Output) {
        switch format {
        case .simple:
            out.line(String(response.deleted))
            response.prevKvs.forEach { simple($0, into: &out) }
        case .json: out.line(Self.json(response).text)
        case .fields, .table:
            fields(response.header, into: &out)
            out.fields(("Deleted", response.deleted))
            response.prevKvs.forEach { fields($0, prefix: "Prev", into: &out) }
        }
    }

    func txn(_ response: Etcdserverpb_TxnResponse, into out: inout Output) {
        switch format {
        case .simple: out.line(response.succeeded ? "SUCCESS" : "FAILURE")
        case .json:
            let responses = JSON.array(response.responses.map(Self.json))
            out.line(JSON.compact(
                ["header": Self.header(of: response), "succeeded": .bool(response.succeeded), "responses": responses]
            ).text)
            return
        case .fields, .table:
            fields(response.header, into: &out)
            out.fields(("Succeeded", response.succeeded))
        }
        for op in response.responses {
            if format == .simple { out.line() }
            switch op.response {
            case .responseRange(let range): get(range, into: &out)
            case .responsePut(let put): self.put(put, into: &out)
            case .responseDeleteRange(let delete): self.delete(delete, into: &out)
            case .responseTxn(let txn): self.txn(txn, into: &out)
            case nil: break
            }
        }
    }

    func watch(_ response: Etcdserverpb_WatchResponse, into out: inout Output) {
        switch format {
        case .simple:
            for event in response.events {
                out.line(event.type == .delete ? "DELETE" : "PUT")
                if event.hasPrevKv { simple(event.prevKv, into: &out) }
                simple(event.kv, into: &out)
            }
        case .json:
            let events = response.events.map { event in
                JSON.compact([
                    "type": .int(Int64(event.type.rawValue)), "kv": event.hasKv ? Self.json(event.kv) : .null,
                    "prev_kv": event.hasPrevKv ? Self.json(event.prevKv) : .null,
                ])
            }
            out.line(JSON.object([
                ("Header", Self.json(response.header)), ("Events", .array(events)),
                ("CompactRevision", .int(response.compactRevision)), ("Canceled", .bool(response.canceled)),
                ("Created", .bool(response.created)),
            ]).text)
        case .fields, .table:
            fields(response.header, into: &out)
            for event in response.events {
                out.fields(("Type", event.type == .delete ? "DELETE" : "PUT"))
                if event.hasPrevKv { fields(event.prevKv, prefix: "Prev", into: &out) }
                fields(event.kv, prefix: "", into: &out)
            }
        }
    }

    // MARK: leases

    func leaseGrant(_ response: Etcdserverpb_LeaseGrantResponse, into out: inout Output) {
        switch format {
        case .simple: out.line("lease \(GoFormat.hex(response.id, width: 16)) granted with TTL(\(response.ttl)s)")
        case .json:
            let more: KeyValuePairs<String, JSON> = [
                "ID": .int(response.id), "TTL": .int(response.ttl), "Error": .string(response.error),
            ]
            out.line(Self.embeddedHeader(of: response).merged(more).text)
        case .fields, .table:
            fields(response.header, into: &out)
            out.fields(("ID", response.id), ("TTL", response.ttl))
        }
    }

    func leaseRevoke(_ id: Int64, _ response: Etcdserverpb_LeaseRevokeResponse, into out: inout Output) {
        switch format {
        case .simple: out.line("lease \(GoFormat.hex(id, width: 16)) revoked")
        case .json: out.line(JSON.compact(["header": Self.header(of: response)]).text)
        case .fields, .table: fields(response.header, into: &out)
        }
    }

    func keepAlive(_ response: Etcdserverpb_LeaseKeepAliveResponse, into out: inout Output) {
        switch format {
        case .simple: out.line("lease \(GoFormat.hex(response.id, width: 16)) keepalived with TTL(\(response.ttl))")
        case .json:
            let more: KeyValuePairs<String, JSON> = ["ID": .int(response.id), "TTL": .int(response.ttl)]
            out.line(Self.embeddedHeader(of: response).merged(more).text)
        case .fields, .table:
            fields(response.header, into: &out)
            out.fields(("ID", response.id), ("TTL", response.ttl))
        }
    }

    func timeToLive(_ response: Etcdserverpb_LeaseTimeToLiveResponse, keys: Bool, into out: inout Output) {
        let id = GoFormat.hex(response.id, width: 16)
        switch format {
        case .simple where response.grantedTtl == 0 && response.ttl == -1: out.line("lease \(id) already expired")
        case .simple:
            let names = response.keys.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            out.line("lease \(id) granted with TTL(\(response.grantedTtl)s), remaining(\(response.ttl)s)"
                + (keys ? ", attached keys([\(names)])" : ""))
        case .json:
            let more: KeyValuePairs<String, JSON> = [
                "id": .int(response.id), "ttl": .int(response.ttl), "granted-ttl": .int(response.grantedTtl),
                "keys": response.keys.isEmpty ? .null : .array(response.keys.map(JSON.bytes)),
            ]
            out.line(Self.embeddedHeader(of: response).merged(more).text)
        case .fields, .table:
            fields(response.header, into: &out)
            out.fields(("ID", response.id), ("TTL", response.ttl), ("GrantedTTL", response.grantedTtl))
            response.keys.forEach { out.fields(("Key", GoFormat.quote($0))) }
        }
    }

    func leases(_ response: Etcdserverpb_LeaseLeasesResponse, into out: inout Output) {
        switch format {
        case .simple:
            out.line("found \(response.leases.count) leases")
            response.leases.forEach { out.line(GoFormat.hex($0.id, width: 16)) }
        case .json:
            let leases = JSON.array(response.leases.map { .object([("id", .int($0.id))]) })
            out.line(Self.embeddedHeader(of: response).merged(["leases": leases]).text)
        case .fields, .table:
            fields(response.header, into: &out)
            response.leases.forEach { out.fields(("ID", $0.id)) }
        }
    }

    // MARK: building blocks

    private func simple(_ kv: KeyValue, into out: inout Output) {
        if !valueOnly { hex ? out.line(GoFormat.hexEscaped(kv.key)) : out.line(raw: kv.key) }
        hex ? out.line(GoFormat.hexEscaped(kv.value)) : out.line(raw: kv.value)
    }

    func fields(_ header: Header, into out: inout Output) {
        out.fields(
            ("ClusterID", header.clusterID), ("MemberID", header.memberID), ("Revision", header.revision),
            ("RaftTerm", header.raftTerm))
    }

    private func fields(_ kv: KeyValue, prefix: String, into out: inout Output) {
        out.fields(
            (prefix + "Key", GoFormat.quote(kv.key)), (prefix + "CreateRevision", kv.createRevision),
            (prefix + "ModRevision", kv.modRevision), (prefix + "Version", kv.version),
            (prefix + "Value", GoFormat.quote(kv.value)), (prefix + "Lease", kv.lease))
    }

    static func json(_ header: Header) -> JSON {
        .compact([
            "cluster_id": .uint(header.clusterID), "member_id": .uint(header.memberID),
            "revision": .int(header.revision), "raft_term": .uint(header.raftTerm),
        ])
    }

    /// A response's header, or nothing when the server sent none (etcd sends none with alarm answers).
    static func header(of response: some HasHeader) -> JSON {
        response.hasHeader ? json(response.header) : .null
    }

    /// The Go client embeds the header in lease responses, so its fields show at the top level.
    static func embeddedHeader(of response: some HasHeader) -> JSON {
        response.hasHeader ? json(response.header) : .object([])
    }

    static func json(_ kv: KeyValue) -> JSON {
        .compact([
            "key": .bytes(kv.key), "create_revision": .int(kv.createRevision), "mod_revision": .int(kv.modRevision),
            "version": .int(kv.version), "value": .bytes(kv.value), "lease": .int(kv.lease),
        ])
    }

    static func json(_ response: Etcdserverpb_RangeResponse) -> JSON {
        .compact([
            "header": header(of: response), "kvs": .array(response.kvs.map(json)),
            "more": .bool(response.more), "count": .int(response.count),
        ])
    }

    static func json(_ response: Etcdserverpb_PutResponse) -> JSON {
        .compact(["header": header(of: response), "prev_kv": response.hasPrevKv ? json(response.prevKv) : .null])
    }

    static func json(_ response: Etcdserverpb_DeleteRangeResponse) -> JSON {
        .compact([
            "header": header(of: response), "deleted": .int(response.deleted),
            "prev_kvs": .array(response.prevKvs.map(json)),
        ])
    }

    /// A transaction's op response, shaped like the Go oneof wrapper that etcdctl marshals.
    static func json(_ op: Etcdserverpb_ResponseOp) -> JSON {
        let inner: (String, JSON)? =
            switch op.response {
            case .responseRange(let range): ("ResponseRange", json(range))
            case .responsePut(let put): ("ResponsePut", json(put))
            case .responseDeleteRange(let delete): ("ResponseDeleteRange", json(delete))
            case .responseTxn(let txn): ("ResponseTxn", .compact(["header": header(of: txn)]))
            case nil: nil
            }
        return .object([("Response", inner.map { .object([$0]) } ?? .null)])
    }
}

/// The responses that carry an optional header.
protocol HasHeader {
    var hasHeader: Bool { get }
    var header: Etcdserverpb_ResponseHeader { get }
}

extension Etcdserverpb_RangeResponse: HasHeader {}
extension Etcdserverpb_PutResponse: HasHeader {}
extension Etcdserverpb_DeleteRangeResponse: HasHeader {}
extension Etcdserverpb_TxnResponse: HasHeader {}
extension Etcdserverpb_LeaseGrantResponse: HasHeader {}
extension Etcdserverpb_LeaseRevokeResponse: HasHeader {}
extension Etcdserverpb_LeaseKeepAliveResponse: HasHeader {}
extension Etcdserverpb_LeaseTimeToLiveResponse: HasHeader {}
extension Etcdserverpb_LeaseLeasesResponse: HasHeader {}
extension Etcdserverpb_MemberListResponse: HasHeader {}
extension Etcdserverpb_StatusResponse: HasHeader {}
extension Etcdserverpb_HashKVResponse: HasHeader {}
extension Etcdserverpb_AlarmResponse: HasHeader {}
