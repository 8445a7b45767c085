import EtcdAPI
import Foundation

/// One endpoint's answer to a per-endpoint command.
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

extension ResponsePrinter {
    func members(_ response: Etcdserverpb_MemberListResponse, into out: inout Output) {
        let rows = response.members.map { member in
            [
                GoFormat.hex(member.id), member.name.isEmpty ? "unstarted" : "started", member.name,
                member.peerUrls.joined(separator: ","), member.clientUrls.joined(separator: ","),
                String(member.isLearner),
            ]
        }
        switch format {
        case .simple, .table:
            table(["ID", "Status", "Name", "Peer Addrs", "Client Addrs", "Is Learner"], rows, into: &out)
        case .json:
            let members = response.members.map { member in
                JSON.compact([
                    "ID": .uint(member.id), "name": .string(member.name),
                    "peerURLs": .array(member.peerUrls.map(JSON.string)),
                    "clientURLs": .array(member.clientUrls.map(JSON.string)), "isLearner": .bool(member.isLearner),
                ])
            }
            out.line(JSON.compact(["header": Self.header(of: response), "members": .array(members)]).text)
        case .fields:
            fields(response.header, into: &out)
            for member in response.members {
                out.fields(("ID", member.id), ("Name", GoFormat.quote(member.name)))
                member.peerUrls.forEach { out.fields(("PeerURL", GoFormat.quote($0))) }
                member.clientUrls.forEach { out.fields(("ClientURL", GoFormat.quote($0))) }
                out.fields(("IsLearner", member.isLearner))
                out.line()
            }
        }
    }

    func statuses(_ results: [EndpointResult<Etcdserverpb_StatusResponse>], into out: inout Output) {
        switch format {
        case .simple, .table:
            let rows = results.map { result in
                let status = result.response
                return [
                    result.endpoint, GoFormat.hex(status.header.memberID), status.version,
                    GoFormat.bytes(status.dbSize), String(status.leader == status.header.memberID),
                    String(status.isLearner), String(status.raftTerm), String(status.raftIndex),
                    String(status.raftAppliedIndex), status.errors.joined(separator: ", "),
                ]
            }
            let header = [
                "endpoint", "ID", "version", "db size", "is leader", "is learner", "raft term", "raft index",
                "raft applied index", "errors",
            ]
            table(header, rows, into: &out)
        case .json:
            let items = results.map { result in
                let status = result.response
                let body = JSON.compact([
                    "header": Self.header(of: status), "version": .string(status.version),
                    "dbSize": .int(status.dbSize), "leader": .uint(status.leader), "raftIndex": .uint(status.raftIndex),
                    "raftTerm": .uint(status.raftTerm), "raftAppliedIndex": .uint(status.raftAppliedIndex),
                    "errors": .array(status.errors.map(JSON.string)), "dbSizeInUse": .int(status.dbSizeInUse),
                    "isLearner": .bool(status.isLearner),
                ])
                return JSON.object([("Endpoint", .string(result.endpoint)), ("Status", body)])
            }
            out.line(JSON.array(items).text)
        case .fields:
            for result in results {
                let status = result.response
                fields(status.header, into: &out)
                out.fields(
                    ("Version", GoFormat.quote(status.version)), ("DBSize", status.dbSize), ("Leader", status.leader),
                    ("IsLearner", status.isLearner), ("RaftIndex", status.raftIndex), ("RaftTerm", status.raftTerm),
                    ("RaftAppliedIndex", status.raftAppliedIndex),
                    ("Errors", "[" + status.errors.joined(separator: " ") + "]"),
                    ("Endpoint", GoFormat.quote(result.endpoint)))
                out.line()
            }
        }
    }

    /// Health lines; in the simple format they are meant for stderr, as etcdctl writes them.
    func health(_ results: [EndpointHealth], into out: inout Output) {
        switch format {
        case .simple:
            for result in results {
                out.line(
                    result.healthy
                        ? "\(result.endpoint) is healthy: successfully committed proposal: took = \(result.took)"
                        : "\(result.endpoint) is unhealthy: failed to commit proposal: \(result.error)")
            }
        case .table:
            let rows = results.map { [$0.endpoint, String($0.healthy), $0.took, $0.error] }
            table(["endpoint", "health", "took", "error"], rows, into: &out)
        case .json:
            let items = results.map { result in
                let error: KeyValuePairs<String, JSON> = result.error.isEmpty ? [:] : ["error": .string(result.error)]
                return JSON.object([
                    ("endpoint", .string(result.endpoint)), ("health", .bool(result.healthy)),
                    ("took", .string(result.took)),
                ]).merged(error)
            }
            out.line(JSON.array(items).text)
        case .fields:
            for result in results {
                out.fields(
                    ("Endpoint", GoFormat.quote(result.endpoint)), ("Health", result.healthy), ("Took", result.took),
                    ("Error", result.error))
                out.line()
            }
        }
    }

    func hashes(_ results: [EndpointResult<Etcdserverpb_HashKVResponse>], into out: inout Output) {
        switch format {
        case .simple, .table:
            table(["endpoint", "hash"], results.map { [$0.endpoint, String($0.response.hash)] }, into: &out)
        case .json:
            let items = results.map { result in
                let body = JSON.compact([
                    "header": Self.header(of: result.response), "hash": .uint(UInt64(result.response.hash)),
                    "compact_revision": .int(result.response.compactRevision),
                ])
                return JSON.object([("Endpoint", .string(result.endpoint)), ("HashKV", body)])
            }
            out.line(JSON.array(items).text)
        case .fields:
            for result in results {
                fields(result.response.header, into: &out)
                out.fields(("Endpoint", GoFormat.quote(result.endpoint)), ("Hash", result.response.hash))
                out.line()
            }
        }
    }

    func alarms(_ response: Etcdserverpb_AlarmResponse, into out: inout Output) {
        let names: [Etcdserverpb_AlarmType: String] = [.none: "NONE", .nospace: "NOSPACE", .corrupt: "CORRUPT"]
        switch format {
        case .simple:
            // The Go client prints each alarm in protobuf's compact text form, zero fields left out.
            for alarm in response.alarms {
                out.line((alarm.memberID == 0 ? "" : "memberID:\(alarm.memberID) ")
                    + (alarm.alarm == .none ? "" : "alarm:\(names[alarm.alarm] ?? "\(alarm.alarm.rawValue)") "))
            }
        case .json:
            let alarms = response.alarms.map {
                JSON.compact(["memberID": .uint($0.memberID), "alarm": .int(Int64($0.alarm.rawValue))])
            }
            out.line(JSON.compact(["header": Self.header(of: response), "alarms": .array(alarms)]).text)
        case .fields, .table:
            fields(response.header, into: &out)
            for alarm in response.alarms {
                out.fields(("MemberID", alarm.memberID), ("AlarmType", names[alarm.alarm] ?? "\(alarm.alarm.rawValue)"))
                out.line()
            }
        }
    }

    /// The simple format prints a table's rows as comma-separated lines.
    private func table(_ header: [String], _ rows: [[String]], into out: inout Output) {
        if format == .table {
            out.line(Table.render(header: header, rows: rows))
        } else {
            rows.forEach { out.line($0.joined(separator: ", ")) }
        }
    }
}
