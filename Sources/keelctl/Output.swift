import Foundation

/// Bytes for stdout or stderr, written in one call by `flush`. Values are arbitrary bytes, so nothing here goes
/// through `String` unless it is text.
struct Output {
    private(set) var bytes: [UInt8] = []

    mutating func line(_ text: String = "") {
        bytes.append(contentsOf: Array(text.utf8))
        bytes.append(0x0A)
    }

    mutating func line(raw: Data) {
        bytes.append(contentsOf: raw)
        bytes.append(0x0A)
    }

    /// Writes everything to stdout now: a watch or keep-alive may be killed at any moment, and what it already
    /// received must have been printed.
    mutating func flush(to handle: FileHandle = .standardOutput) {
        guard !bytes.isEmpty else { return }
        try? handle.write(contentsOf: bytes)
        bytes.removeAll(keepingCapacity: true)
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

// MARK: - Go formatting conventions

/// The few pieces of Go's formatting that etcdctl's output is made of, so that ours reads the same.
enum GoFormat {
    static func hex<T: BinaryInteger>(_ value: T, width: Int = 0) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `%q`: a double-quoted string with Go's escapes; invalid UTF-8 bytes as `\x..`.
    static func quote(_ data: Data) -> String {
        var result = "\""
        var index = data.startIndex
        while index < data.endIndex {
            let (scalar, length) = decodeScalar(data, at: index)
            defer { index += length }
            guard let scalar else {
                result += "\\x" + hex(data[index], width: 2)
                continue
            }
            switch scalar {
            case "\u{07}": result += "\\a"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{0B}": result += "\\v"
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value >= 0x80 && scalar.value < 0xA0 {
                    result += "\\u" + hex(scalar.value, width: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    static func quote(_ text: String) -> String { quote(Data(text.utf8)) }

    /// `--hex`: every byte as `\xNN`.
    static func hexEscaped(_ data: Data) -> String {
        data.map { "\\x" + hex($0, width: 2) }.joined()
    }

    /// One UTF-8 scalar at `index`, or nil and length 1 for an invalid byte.
    static func decodeScalar(_ data: Data, at index: Data.Index) -> (Unicode.Scalar?, Int) {
        let first = data[index]
        if first < 0x80 { return (Unicode.Scalar(first), 1) }
        let length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 0
        guard length > 0, index + length <= data.endIndex else { return (nil, 1) }
        var decoder = UTF8()
        var iterator = data[index..<(index + length)].makeIterator()
        if case .scalarValue(let scalar) = decoder.decode(&iterator), iterator.next() == nil {
            return (scalar, length)
        }
        return (nil, 1)
    }

    /// `humanize.Bytes`: SI units, one decimal below 10.
    static func bytes(_ size: Int64) -> String {
        if size < 10 { return "\(size) B" }
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
        let exponent = Int(floor(log(Double(size)) / log(1000)))
        let value = floor(Double(size) / pow(1000, Double(exponent)) * 10 + 0.5) / 10
        return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[exponent])
    }

    /// `time.Duration.String()` for the durations a health check takes.
    static func duration(_ duration: Duration) -> String {
        let nanos = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        func scaled(_ divisor: Int64, _ unit: String) -> String {
            var text = String(format: "%.9f", Double(nanos) / Double(divisor))
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text + unit
        }
        switch nanos {
        case ..<1_000: return "\(nanos)ns"
        case ..<1_000_000: return scaled(1_000, "µs")
        case ..<1_000_000_000: return scaled(1_000_000, "ms")
        case ..<60_000_000_000: return scaled(1_000_000_000, "s")
        default: return "\(nanos / 60_000_000_000)m" + scaled(1_000_000_000, "s").dropFirst(0).description
        }
    }
}

// MARK: - JSON as Go's encoding/json writes it

/// A JSON value rendered like Go's `json.Marshal`: fields in declaration order, bytes as base64, `<`, `>`, `&`
/// escaped.
indirect enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case bytes(Data)
    case int(Int64)
    case uint(UInt64)
    case bool(Bool)
    case null

    /// Whether `omitempty` drops this value.
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
        case .string(let text): JSON.escape(text)
        case .bytes(let data): "\"" + data.base64EncodedString() + "\""
        case .int(let value): String(value)
        case .uint(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }

    private static func escape(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                result += "\\u" + GoFormat.hex(scalar.value, width: 4)
            default:
                if scalar.value < 0x20 {
                    result += "\\u" + GoFormat.hex(scalar.value, width: 4)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

/// Builds a JSON object field by field, dropping `omitempty` fields that are empty.
struct JSONObject {
    private(set) var fields: [(String, JSON)] = []

    mutating func add(_ name: String, _ value: JSON, omitEmpty: Bool = true) {
        if omitEmpty && value.isEmpty { return }
        fields.append((name, value))
    }

    mutating func add(contentsOf other: JSONObject) { fields += other.fields }

    var json: JSON { .object(fields) }
}

// MARK: - tables

/// A table drawn like etcdctl's: upper-case centred headers, cells aligned right.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let titles = header.map { $0.uppercased() }
        let widths = titles.indices.map { column in
            ([titles[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) + "+" }.joined()
        func row(_ cells: [String], centred: Bool) -> String {
            "|" + cells.indices.map { column in
                let gap = widths[column] - cells[column].count
                let left = centred ? gap / 2 : gap
                return " " + String(repeating: " ", count: left) + cells[column]
                    + String(repeating: " ", count: gap - left) + " |"
            }.joined()
        }
        return ([rule, row(titles, centred: true), rule] + rows.map { row($0, centred: false) } + [rule])
            .joined(separator: "\n")
    }
}
