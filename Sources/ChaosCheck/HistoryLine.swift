import Foundation

/// A line of a history file (JSON lines): an operation, a watch response, or a fault the nemesis injected.
public enum HistoryLine: Codable, Sendable, Hashable {
    case operation(HistoryRecord)
    case watch(WatchRecord)
    case fault(FaultRecord)

    /// Encodes the line as one line of JSON (no trailing newline).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Decodes a whole history file; blank lines are skipped. Throws with the line number on a bad line.
    public static func decodeFile(_ text: String) throws -> [HistoryLine] {
        let decoder = JSONDecoder()
        var lines: [HistoryLine] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy(\.isWhitespace) { continue }
            do {
                lines.append(try decoder.decode(HistoryLine.self, from: Data(line.utf8)))
            } catch {
                throw HistoryFileError.badLine(number: number + 1, reason: "\(error)")
            }
        }
        return lines
    }
}

/// A history file that cannot be read.
public enum HistoryFileError: Error, Sendable, Equatable {
    case badLine(number: Int, reason: String)
}

/// A fault the nemesis injected, with the time span it lasted.
public struct FaultRecord: Codable, Sendable, Hashable {
    /// e.g. "kill-leader", "pause-leader", "partition-leader", "restart", "replace-member".
    public var kind: String
    /// The member names it hit.
    public var members: [String]
    public var startNanos: UInt64
    public var endNanos: UInt64
    /// Free-form detail (signal, duration, new member id).
    public var detail: String

    public init(kind: String, members: [String], startNanos: UInt64, endNanos: UInt64, detail: String = "") {
        self.kind = kind
        self.members = members
        self.startNanos = startNanos
        self.endNanos = endNanos
        self.detail = detail
    }
}
