import ArgumentParser
import Foundation
import Store

/// `snapshot status FILE`: etcdctl 3.4's figures for a snapshot file (hash, revision, total keys, total size),
/// plus the snapshot format version and the result of the SHA-256 check, which etcdctl does not make. A file
/// whose trailer does not match is refused; a raw data file without a trailer is reported as such.
struct SnapshotStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Gets backend snapshot status of a given file.",
        discussion: "When --write-out is set to simple, this command prints out comma-separated status lists "
            + "for each endpoint. The items in the lists are hash, revision, total keys, total size, format "
            + "version, hash check.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "file") var arguments: [String] = []

    func run() throws {
        guard arguments.count == 1 else { throw CtlError.badArgs("snapshot status requires exactly one argument") }
        guard let format = OutputFormat(rawValue: global.writeOut) else {
            throw CtlError.badFeature("unsupported output format")
        }
        let status: SnapshotStatus
        do {
            status = try SnapshotStatus(reading: try SnapshotFile(path: arguments[0]))
        } catch {
            throw CtlError.failed(error.description)
        }
        let hashCheck: String =
            switch status.digestCheck {
            case .ok: "ok"
            case .skipped: "skipped"
            case .absent: "no trailer"
            }
        var out = Output()
        switch format {
        case .simple:
            out.line(
                [
                    GoFormat.hex(status.hash, width: 8), String(status.revision), String(status.totalKeys),
                    GoFormat.bytes(status.totalSize), status.formatVersion, hashCheck,
                ].joined(separator: ", "))
        case .table:
            out.line(
                Table.render(
                    header: ["hash", "revision", "total keys", "total size", "version", "hash check"],
                    rows: [
                        [
                            GoFormat.hex(status.hash, width: 8), String(status.revision), String(status.totalKeys),
                            GoFormat.bytes(status.totalSize), status.formatVersion, hashCheck,
                        ]
                    ]))
        case .json:
            let json = JSON.object([
                ("hash", .uint(UInt64(status.hash))), ("revision", .int(status.revision)),
                ("totalKey", .int(Int64(status.totalKeys))), ("totalSize", .int(status.totalSize)),
                ("version", .string(status.formatVersion)), ("hashCheck", .string(hashCheck)),
            ])
            out.line(json.text)
        case .fields:
            out.fields(
                ("Hash", status.hash), ("Revision", status.revision), ("Keys", status.totalKeys),
                ("Size", status.totalSize), ("Version", GoFormat.quote(status.formatVersion)),
                ("HashCheck", GoFormat.quote(hashCheck)))
        }
        out.flush()
        if format != .json {
            Output.stderr("hash check: \(hashCheck)")
        }
    }
}
