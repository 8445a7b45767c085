import EtcdAPI
import Foundation

/// One endpoint's answer to a per-endpoint command (status, health, hashkv).
struct EndpointResult<Response: Sendable>: Sendable {
    let endpoint: String
    let response: Response
}

/// The outcome of `endpoint health` for one endpoint.
struct EndpointHealth: Sendable {
    let endpoint: String
    let healthy: Bool
    let took: String
    let error: String
}

// MARK: - leases

extension ResponsePrinter {
    /// The Go client embeds the header in lease responses, so JSON shows its fields at the top level.
    private static func flatHeader(_ present: Bool, _ header: Header) -> JSONObject {
        present ? json(header) : JSONObject()
    }

    func leaseGrant(_ response: Etcdserverpb_LeaseGrantResponse, into out: inout Output) throws {
        switch format {
        case .simple: out.line("lease \(GoFormat.hex(response.id, width: 16)) granted with TTL(\(response.ttl)s)")
        case .json:
            var object = Self.flatHeader(response.hasHeader, response.header)
            object.add("ID", .int(response.id), omitEmpty: false)
            object.add("TTL", .int(response.ttl), omitEmpty: false)
            object.add("Error", .string(response.error), omitEmpty: false)
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            out.line("\"ID\" : \(response.id)")
            out.line("\"TTL\" : \(response.ttl)")
        case .table: throw unsupported
        }
    }

    func leaseRevoke(_ id: Int64, _ response: Etcdserverpb_LeaseRevokeResponse, into out: inout Output) throws {
        switch format {
        case .simple: out.line("lease \(GoFormat.hex(id, width: 16)) revoked")
        case .json:
            var object = JSONObject()
            Self.addHeader(of: response.hasHeader, response.header, to: &object)
            out.line(object.json.text)
        case .fields: fields(response.header, into: &out)
        case .table: throw unsupported
        }
    }

    func keepAlive(_ response: Etcdserverpb_LeaseKeepAliveResponse, into out: inout Output) throws {
        switch format {
        case .simple: out.line("lease \(GoFormat.hex(response.id, width: 16)) keepalived with TTL(\(response.ttl))")
        case .json:
            var object = Self.flatHeader(response.hasHeader, response.header)
            object.add("ID", .int(response.id), omitEmpty: false)
            object.add("TTL", .int(response.ttl), omitEmpty: false)
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            out.line("\"ID\" : \(response.id)")
            out.line("\"TTL\" : \(response.ttl)")
        case .table: throw unsupported
        }
    }

    func timeToLive(_ response: Etcdserverpb_LeaseTimeToLiveResponse, keys: Bool, into out: inout Output) throws {
        let id = GoFormat.hex(response.id, width: 16)
        switch format {
        case .simple where response.grantedTtl == 0 && response.ttl == -1:
            out.line("lease \(id) already expired")
        case .simple:
            var text = "lease \(id) granted with TTL(\(response.grantedTtl)s), remaining(\(response.ttl)s)"
            if keys {
                text += ", attached keys([" + response.keys.map { String(decoding: $0, as: UTF8.self) }
                    .joined(separator: " ") + "])"
            }
            out.line(text)
        case .json:
            var object = Self.flatHeader(response.hasHeader, response.header)
            object.add("id", .int(response.id), omitEmpty: false)
            object.add("ttl", .int(response.ttl), omitEmpty: false)
            object.add("granted-ttl", .int(response.grantedTtl), omitEmpty: false)
            object.add("keys", response.keys.isEmpty ? .null : .array(response.keys.map(JSON.bytes)), omitEmpty: false)
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            out.line("\"ID\" : \(response.id)")
            out.line("\"TTL\" : \(response.ttl)")
            out.line("\"GrantedTTL\" : \(response.grantedTtl)")
            response.keys.forEach { out.line("\"Key\" : \(GoFormat.quote($0))") }
        case .table: throw unsupported
        }
    }

    func leases(_ response: Etcdserverpb_LeaseLeasesResponse, into out: inout Output) throws {
        switch format {
        case .simple:
            out.line("found \(response.leases.count) leases")
            response.leases.forEach { out.line(GoFormat.hex($0.id, width: 16)) }
        case .json:
            var object = Self.flatHeader(response.hasHeader, response.header)
            object.add("leases", .array(response.leases.map { .object([("id", .int($0.id))]) }), omitEmpty: false)
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            response.leases.forEach { out.line("\"ID\" : \($0.id)") }
        case .table: throw unsupported
        }
    }

    // MARK: - members, endpoints, alarms

    func members(_ response: Etcdserverpb_MemberListResponse, into out: inout Output) {
        let rows = response.members.map { member in
            [
                GoFormat.hex(member.id), member.name.isEmpty ? "unstarted" : "started", member.name,
                member.peerUrls.joined(separator: ","), member.clientUrls.joined(separator: ","),
                String(member.isLearner),
            ]
        }
        switch format {
        case .simple: rows.forEach { out.line($0.joined(separator: ", ")) }
        case .table:
            let header = ["ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"]
            out.line(Table.render(header: header, rows: rows))
        case .json:
            var object = JSONObject()
            Self.addHeader(of: response.hasHeader, response.header, to: &object)
            object.add("members", .array(response.members.map { member in
                var object = JSONObject()
                object.add("ID", .uint(member.id))
                object.add("name", .string(member.name))
                object.add("peerURLs", .array(member.peerUrls.map(JSON.string)))
                object.add("clientURLs", .array(member.clientUrls.map(JSON.string)))
                object.add("isLearner", .bool(member.isLearner))
                return object.json
            }))
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            for member in response.members {
                out.line("\"ID\" : \(member.id)")
                out.line("\"Name\" : \(GoFormat.quote(member.name))")
                member.peerUrls.forEach { out.line("\"PeerURL\" : \(GoFormat.quote($0))") }
                member.clientUrls.forEach { out.line("\"ClientURL\" : \(GoFormat.quote($0))") }
                out.line("\"IsLearner\" : \(member.isLearner)")
                out.line()
            }
        }
    }

    func statuses(_ results: [EndpointResult<Etcdserverpb_StatusResponse>], into out: inout Output) {
        let rows = results.map { result in
            let status = result.response
            return [
                result.endpoint, GoFormat.hex(status.header.memberID), status.version, GoFormat.bytes(status.dbSize),
                String(status.leader == status.header.memberID), String(status.isLearner), String(status.raftTerm),
                String(status.raftIndex), String(status.raftAppliedIndex), status.errors.joined(separator: ", "),
            ]
        }
        switch format {
        case .simple: rows.forEach { out.line($0.joined(separator: ", ")) }
        case .table:
            let header = ["endpoint", "ID", "version", "db size", "is leader", "is learner", "raft term",
                          "raft index", "raft applied index", "errors"]
            out.line(Table.render(header: header, rows: rows))
        case .json:
            out.line(JSON.array(results.map { result in
                let status = result.response
                var object = JSONObject()
                Self.addHeader(of: status.hasHeader, status.header, to: &object)
                object.add("version", .string(status.version))
                object.add("dbSize", .int(status.dbSize))
                object.add("leader", .uint(status.leader))
                object.add("raftIndex", .uint(status.raftIndex))
                object.add("raftTerm", .uint(status.raftTerm))
                object.add("raftAppliedIndex", .uint(status.raftAppliedIndex))
                object.add("errors", .array(status.errors.map(JSON.string)))
                object.add("dbSizeInUse", .int(status.dbSizeInUse))
                object.add("isLearner", .bool(status.isLearner))
                return .object([("Endpoint", .string(result.endpoint)), ("Status", object.json)])
            }).text)
        case .fields:
            for result in results {
                let status = result.response
                fields(status.header, into: &out)
                out.line("\"Version\" : \(GoFormat.quote(status.version))")
                out.line("\"DBSize\" : \(status.dbSize)")
                out.line("\"Leader\" : \(status.leader)")
                out.line("\"IsLearner\" : \(status.isLearner)")
                out.line("\"RaftIndex\" : \(status.raftIndex)")
                out.line("\"RaftTerm\" : \(status.raftTerm)")
                out.line("\"RaftAppliedIndex\" : \(status.raftAppliedIndex)")
                out.line("\"Errors\" : [\(status.errors.joined(separator: " "))]")
                out.line("\"Endpoint\" : \(GoFormat.quote(result.endpoint))")
                out.line()
            }
        }
    }

    /// Health lines; the simple format writes them to stderr, as etcdctl does.
    func health(_ results: [EndpointHealth], into out: inout Output) {
        switch format {
        case .simple:
            for result in results {
                out.line(result.healthy
                    ? "\(result.endpoint) is healthy: successfully committed proposal: took = \(result.took)"
                    : "\(result.endpoint) is unhealthy: failed to commit proposal: \(result.error)")
            }
        case .table:
            let rows = results.map { [$0.endpoint, String($0.healthy), $0.took, $0.error] }
            out.line(Table.render(header: ["endpoint", "health", "took", "error"], rows: rows))
        case .json:
            out.line(JSON.array(results.map { result in
                var object = JSONObject()
                object.add("endpoint", .string(result.endpoint), omitEmpty: false)
                object.add("health", .bool(result.healthy), omitEmpty: false)
                object.add("took", .string(result.took), omitEmpty: false)
                object.add("error", .string(result.error))
                return object.json
            }).text)
        case .fields:
            for result in results {
                out.line("\"Endpoint\" : \(GoFormat.quote(result.endpoint))")
                out.line("\"Health\" : \(result.healthy)")
                out.line("\"Took\" : \(result.took)")
                out.line("\"Error\" : \(result.error)")
                out.line()
            }
        }
    }

    func hashes(_ results: [EndpointResult<Etcdserverpb_HashKVResponse>], into out: inout Output) {
        switch format {
        case .simple: results.forEach { out.line("\($0.endpoint), \($0.response.hash)") }
        case .table:
            let rows = results.map { [$0.endpoint, String($0.response.hash)] }
            out.line(Table.render(header: ["endpoint", "hash"], rows: rows))
        case .json:
            out.line(JSON.array(results.map { result in
                var object = JSONObject()
                Self.addHeader(of: result.response.hasHeader, result.response.header, to: &object)
                object.add("hash", .uint(UInt64(result.response.hash)))
                object.add("compact_revision", .int(result.response.compactRevision))
                return .object([("Endpoint", .string(result.endpoint)), ("HashKV", object.json)])
            }).text)
        case .fields:
            for result in results {
                fields(result.response.header, into: &out)
                out.line("\"Endpoint\" : \(GoFormat.quote(result.endpoint))")
                out.line("\"Hash\" : \(result.response.hash)")
                out.line()
            }
        }
    }

    func alarms(_ response: Etcdserverpb_AlarmResponse, into out: inout Output) throws {
        func name(_ alarm: Etcdserverpb_AlarmType) -> String {
            switch alarm {
            case .none: "NONE"
            case .nospace: "NOSPACE"
            case .corrupt: "CORRUPT"
            case .UNRECOGNIZED(let value): String(value)
            }
        }
        switch format {
        case .simple:
            for alarm in response.alarms {
                // The Go client prints each alarm in protobuf's compact text form.
                out.line((alarm.memberID == 0 ? "" : "memberID:\(alarm.memberID) ")
                    + (alarm.alarm == .none ? "" : "alarm:\(name(alarm.alarm)) "))
            }
        case .json:
            var object = JSONObject()
            Self.addHeader(of: response.hasHeader, response.header, to: &object)
            object.add("alarms", .array(response.alarms.map { alarm in
                var object = JSONObject()
                object.add("memberID", .uint(alarm.memberID))
                object.add("alarm", .int(Int64(alarm.alarm.rawValue)))
                return object.json
            }))
            out.line(object.json.text)
        case .fields:
            fields(response.header, into: &out)
            for alarm in response.alarms {
                out.line("\"MemberID\" : \(alarm.memberID)")
                out.line("\"AlarmType\" : \(name(alarm.alarm))")
                out.line()
            }
        case .table: throw unsupported
        }
    }
}
