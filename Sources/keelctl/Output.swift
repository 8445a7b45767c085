import Foundation

/// Bytes for stdout or stderr, written in one call by `flush`. Keys and values are arbitrary bytes, so they are
/// never passed through `String`.
struct Output {
    private var bytes: [UInt8] = []

    mutating func line(_ text: String = "") {
        bytes += Array(text.utf8) + [0x0A]
    }

    mutating func line(raw: Data) {
        bytes += Array(raw) + [0x0A]
    }

    /// etcdctl's "fields" lines: `"Name" : value`, strings already quoted by the caller.
    mutating func fields(_ pairs: (String, Any)...) {
        pairs.forEach { line("\"\($0.0)\" : \($0.1)") }
    }

    /// Writes everything now: a watch may be killed at any moment, and what it received must be out already.
    mutating func flush(to handle: FileHandle = .standardOutput) {
        try? handle.write(contentsOf: bytes)
        bytes.removeAll()
    }

    static func stdout(_ text: String) {
        var out = Output()
        out.line(text)
        out.flush()
    }

    static func stderr(_ text: String) {
        var out = Output()
        out.line(text)
        out.flush(to: .standardError)
    }
}

/// The pieces of Go's formatting that etcdctl's output is made of.
enum GoFormat {
    static func hex<T: BinaryInteger>(_ value: T, width: Int = 0) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `%q`: double-quoted with Go's escapes; bytes that are not UTF-8 as `\x..`.
    static func quote(_ data: Data) -> String {
        let escapes: [Unicode.Scalar: String] = [
            "\u{07}": "\\a", "\u{08}": "\\b", "\u{0C}": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\u{0B}": "\\v", "\\": "\\\\", "\"": "\\\"",
        ]
        var result = "\""
        var rest = data[...]
        while !rest.isEmpty {
            // The longest valid UTF-8 prefix is copied as text, one invalid byte is escaped.
            let lengths = (1...min(4, rest.count)).reversed()
            guard let valid = lengths.first(where: { String(data: rest.prefix($0), encoding: .utf8) != nil }),
                let text = String(data: rest.prefix(valid), encoding: .utf8)
            else {
                result += "\\x" + hex(rest.first!, width: 2)
                rest = rest.dropFirst()
                continue
            }
            for scalar in text.unicodeScalars {
                if let escape = escapes[scalar] {
                    result += escape
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + hex(scalar.value, width: 2)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
            rest = rest.dropFirst(valid)
        }
        return result + "\""
    }

    static func quote(_ text: String) -> String { quote(Data(text.utf8)) }

    /// `--hex`: every byte as `\xNN`.
    static func hexEscaped(_ data: Data) -> String {
        data.map { "\\x" + hex($0, width: 2) }.joined()
    }

    /// `humanize.Bytes`: SI units, one decimal below 10.
    static func bytes(_ size: Int64) -> String {
        if size < 10 { return "\(size) B" }
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        let exponent = Int(floor(log(Double(size)) / log(1000)))
        let value = floor(Double(size) / pow(1000, Double(exponent)) * 10 + 0.5) / 10
        return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[exponent])
    }

    /// `time.Duration.String()` below a minute, which is what a health check takes.
    static func duration(_ duration: Duration) -> String {
        let nanos = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        let (scale, unit) = [(1e9, "s"), (1e6, "ms"), (1e3, "µs")].first { Double(nanos) >= $0.0 } ?? (1, "ns")
        var text = String(format: "%.9f", Double(nanos) / scale)
        while text.hasSuffix("0") { text.removeLast() }
        return text.trimmingCharacters(in: ["."]) + unit
    }
}

/// JSON as Go's `json.Marshal` writes it: fields in declaration order, bytes in base64, `<`, `>`, `&` escaped.
indirect enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case bytes(Data)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case null

    /// An object whose fields are all `omitempty`: empty ones are left out.
    static func compact(_ fields: KeyValuePairs<String, JSON>) -> JSON {
        .object(fields.filter { !$0.value.isEmpty }.map { ($0.key, $0.value) })
    }

    /// This object's fields followed by `more`, as when Go embeds one struct in another.
    func merged(_ more: KeyValuePairs<String, JSON>) -> JSON {
        guard case .object(let fields) = self else { return .object(more.map { ($0.key, $0.value) }) }
        return .object(fields + more.map { ($0.key, $0.value) })
    }

    var isEmpty: Bool {
        switch self {
        case .object: false
        case .array(let items): items.isEmpty
        case .string(let text): text.isEmpty
        case .bytes(let data): data.isEmpty
        case .int(let value): value == 0
        case .uint(let value): value == 0
        case .bool(let value): !value
        case .null: true
        }
    }

    var text: String {
        switch self {
        case .object(let fields):
            "{" + fields.map { JSON.string($0.0).text + ":" + $0.1.text }.joined(separator: ",") + "}"
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .string(let text): "\"" + text.unicodeScalars.map(JSON.escape).joined() + "\""
        case .bytes(let data): "\"" + data.base64EncodedString() + "\""
        case .int(let value): String(value)
        case .uint(let value): String(value)
        case .bool(let value): String(value)
        case .null: "null"
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"", "\\": "\\" + String(scalar)
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        case "<", ">", "&", "\u{2028}", "\u{2029}", "\u{00}"..."\u{1F}": "\\u" + GoFormat.hex(scalar.value, width: 4)
        default: String(scalar)
        }
    }
}

/// A table drawn like etcdctl's: upper-case centred headers, cells aligned right.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let titles = header.map { $0.uppercased() }
        let widths = titles.indices.map { column in ([titles] + rows).map { $0[column].count }.max() ?? 0 }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
        func row(_ cells: [String], centred: Bool) -> String {
            let padded = zip(cells, widths).map { cell, width in
                let left = centred ? (width - cell.count) / 2 : width - cell.count
                let right = width - cell.count - left
                return String(repeating: " ", count: left) + cell + String(repeating: " ", count: right)
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        return ([rule, row(titles, centred: true), rule] + rows.map { row($0, centred: false) } + [rule])
            .joined(separator: "\n")
    }
}
