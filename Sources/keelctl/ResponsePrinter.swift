import EtcdAPI
import Foundation

enum OutputFormat: String, Sendable {
    case simple, json, fields, table
}

/// Prints responses in etcdctl 3.4's four formats. "simple" is etcdctl's plain text, "json" its `json.Marshal`
/// of the Go client's response types (field names and omitted zero values included), "fields" its quoted
/// name/value lines, and "table" exists only for member, endpoint and snapshot listings.
struct ResponsePrinter: Sendable {
    let format: OutputFormat
    let hex: Bool
    var valueOnly = false

    typealias Header = Etcdserverpb_ResponseHeader
    typealias KeyValue = Mvccpb_KeyValue

    var unsupported: CtlError { .badFeature("\(format.rawValue) not supported as output format") }

    // MARK: key-value responses

    func get(_ response: Etcdserverpb_RangeResponse, into out: inout Output) throws {
        switch format {
        case .simple: response.kvs.forEach { simple($0, into: &out) }
        case .json: out.line(Self.json(response).text)
        case .fields:
            fields(response.header, into: &out)
            response.kvs.forEach { fields($0, prefix: "", into: &out) }
            out.line("\"More\" : \(response.more)")
            out.line("\"Count\" : \(response.count)")
        case .table: throw unsupported
        }
    }

    func put(_ response: Etcdserverpb_PutResponse, into out: inout Output) throws {
        switch format {
        case .simple:
            out.line("OK")
            if response.hasPrevKv { simple(response.prevKv, into: &out) }
        case .json: out.line(Self.json(response).text)
        case .fields:
            fields(response.header, into: &out)
            if response.hasPrevKv { fields(response.prevKv, prefix: "Prev", into: &out) }
        case .table: throw unsupported
        }
    }

    func delete(_ response: Etcdserverpb_DeleteRangeResponse, into out: inout Output) throws {
        switch format {
        case .simple:
            out.line(String(response.deleted))
            response.prevKvs.forEach { simple($0, into: &out) }
        case .json: out.line(Self.json(response).text)
        case .fields:
            fields(response.header, into: &out)
            out.line("\"Deleted\" : \(response.deleted)")
            response.prevKvs.forEach { fields($0, prefix: "Prev", into: &out) }
        case .table: throw unsupported
        }
    }

    func txn(_ response: Etcdserverpb_TxnResponse, into out: inout Output) throws {
        switch format {
        case .simple:
            out.line(response.succeeded ? "SUCCESS" : "FAILURE")
            for op in response.responses {
                out.line()
                try self.op(op, into: &out)
            }
        case .json:
            var object = JSONObject()
            Self.addHeader(of: response.hasHeader, response.header, to: &object)
            object.add("succeeded", .bool(response.succeeded))
            object.add("responses", .array(response.responses.map(Self.json)))
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            out.line("\"Succeeded\" : \(response.succeeded)")
            try response.responses.forEach { try op($0, into: &out) }
        case .table: throw unsupported
        }
    }

    private func op(_ op: Etcdserverpb_ResponseOp, into out: inout Output) throws {
        switch op.response {
        case .responseRange(let range): try get(range, into: &out)
        case .responsePut(let put): try self.put(put, into: &out)
        case .responseDeleteRange(let delete): try self.delete(delete, into: &out)
        case .responseTxn(let txn): try self.txn(txn, into: &out)
        case nil: out.line("unexpected response \(op)")
        }
    }

    func watch(_ response: Etcdserverpb_WatchResponse, into out: inout Output) throws {
        switch format {
        case .simple:
            for event in response.events {
                out.line(event.type == .delete ? "DELETE" : "PUT")
                if event.hasPrevKv { simple(event.prevKv, into: &out) }
                simple(event.kv, into: &out)
            }
        case .json:
            let events = response.events.map { event -> JSON in
                var object = JSONObject()
                object.add("type", .int(Int64(event.type.rawValue)))
                if event.hasKv { object.add("kv", Self.json(event.kv)) }
                if event.hasPrevKv { object.add("prev_kv", Self.json(event.prevKv)) }
                return object.json
            }
            let fields: [(String, JSON)] = [
                ("Header", Self.json(response.header).json), ("Events", .array(events)),
                ("CompactRevision", .int(response.compactRevision)), ("Canceled", .bool(response.canceled)),
                ("Created", .bool(response.created)),
            ]
            out.line(JSON.object(fields).text)
        case .fields:
            fields(response.header, into: &out)
            for event in response.events {
                out.line("\"Type\" : " + (event.type == .delete ? "DELETE" : "PUT"))
                if event.hasPrevKv { fields(event.prevKv, prefix: "Prev", into: &out) }
                fields(event.kv, prefix: "", into: &out)
            }
        case .table: throw unsupported
        }
    }

    // MARK: building blocks

    private func simple(_ kv: KeyValue, into out: inout Output) {
        if hex {
            if !valueOnly { out.line(GoFormat.hexEscaped(kv.key)) }
            out.line(GoFormat.hexEscaped(kv.value))
        } else {
            if !valueOnly { out.line(raw: kv.key) }
            out.line(raw: kv.value)
        }
    }

    func fields(_ header: Header, into out: inout Output) {
        out.line("\"ClusterID\" : \(header.clusterID)")
        out.line("\"MemberID\" : \(header.memberID)")
        out.line("\"Revision\" : \(header.revision)")
        out.line("\"RaftTerm\" : \(header.raftTerm)")
    }

    private func fields(_ kv: KeyValue, prefix: String, into out: inout Output) {
        out.line("\"\(prefix)Key\" : \(GoFormat.quote(kv.key))")
        out.line("\"\(prefix)CreateRevision\" : \(kv.createRevision)")
        out.line("\"\(prefix)ModRevision\" : \(kv.modRevision)")
        out.line("\"\(prefix)Version\" : \(kv.version)")
        out.line("\"\(prefix)Value\" : \(GoFormat.quote(kv.value))")
        out.line("\"\(prefix)Lease\" : \(kv.lease)")
    }

    static func json(_ header: Header) -> JSONObject {
        var object = JSONObject()
        object.add("cluster_id", .uint(header.clusterID))
        object.add("member_id", .uint(header.memberID))
        object.add("revision", .int(header.revision))
        object.add("raft_term", .uint(header.raftTerm))
        return object
    }

    /// A `header` field, absent when the server sent none (etcd sends none with alarm responses).
    static func addHeader(of present: Bool, _ header: Header, to object: inout JSONObject) {
        if present { object.add("header", json(header).json, omitEmpty: false) }
    }

    static func json(_ kv: KeyValue) -> JSON {
        var object = JSONObject()
        object.add("key", .bytes(kv.key))
        object.add("create_revision", .int(kv.createRevision))
        object.add("mod_revision", .int(kv.modRevision))
        object.add("version", .int(kv.version))
        object.add("value", .bytes(kv.value))
        object.add("lease", .int(kv.lease))
        return object.json
    }

    static func json(_ response: Etcdserverpb_RangeResponse) -> JSON {
        var object = JSONObject()
        addHeader(of: response.hasHeader, response.header, to: &object)
        object.add("kvs", .array(response.kvs.map(json)))
        object.add("more", .bool(response.more))
        object.add("count", .int(response.count))
        return object.json
    }

    static func json(_ response: Etcdserverpb_PutResponse) -> JSON {
        var object = JSONObject()
        addHeader(of: response.hasHeader, response.header, to: &object)
        if response.hasPrevKv { object.add("prev_kv", json(response.prevKv)) }
        return object.json
    }

    static func json(_ response: Etcdserverpb_DeleteRangeResponse) -> JSON {
        var object = JSONObject()
        addHeader(of: response.hasHeader, response.header, to: &object)
        object.add("deleted", .int(response.deleted))
        object.add("prev_kvs", .array(response.prevKvs.map(json)))
        return object.json
    }

    /// A transaction's op response, shaped like the Go oneof wrapper etcdctl marshals.
    static func json(_ op: Etcdserverpb_ResponseOp) -> JSON {
        let inner: (String, JSON)? = switch op.response {
        case .responseRange(let range): ("ResponseRange", json(range))
        case .responsePut(let put): ("ResponsePut", json(put))
        case .responseDeleteRange(let delete): ("ResponseDeleteRange", json(delete))
        case .responseTxn(let txn):
            ("ResponseTxn", .object([("header", json(txn.header).json), ("succeeded", .bool(txn.succeeded))]))
        case nil: nil
        }
        return .object([("Response", inner.map { .object([$0]) } ?? .null)])
    }
}
