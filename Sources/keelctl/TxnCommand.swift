import ArgumentParser
import EtcdAPI
import Foundation
import GRPCProtobuf

/// `txn`: reads compares, success ops and failure ops from stdin, each list ended by an empty line, and commits
/// them as one transaction.
struct TxnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txn", abstract: "Txn processes all the requests in one transaction.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Input transaction in interactive mode.")
    var interactive = false
    @Argument(help: .hidden)
    var arguments: [String] = []

    func run() async throws {
        guard arguments.isEmpty else { throw CtlError.badArgs("txn command does not accept argument") }
        let context = try global.context()
        var request = Etcdserverpb_TxnRequest()
        prompt("compares:")
        request.compare = try readSection(TxnParser.compare)
        prompt("success requests (get, put, del):")
        request.success = try readSection(TxnParser.operation)
        prompt("failure requests (get, put, del):")
        request.failure = try readSection(TxnParser.operation)
        let txn = request
        try Connection.checkSendSize(ProtobufSerializer<Etcdserverpb_TxnRequest>().serialize(txn))
        let response = try await context.request { client, callOptions in
            try await Etcdserverpb_KV.Client(wrapping: client).txn(txn, options: callOptions)
        }
        try context.print { $0.txn(response, into: &$1) }
    }

    private func prompt(_ text: String) {
        if interactive { Output.stdout(text) }
    }

    /// Lines up to the next empty one. Running out of input before it is an error, as in etcdctl.
    private func readSection<T>(_ parse: (String) throws -> T) throws -> [T] {
        var items: [T] = []
        while true {
            guard let line = readLine(strippingNewline: false), line.hasSuffix("\n") else {
                throw CtlError.invalidInput("EOF")
            }
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { return items }
            items.append(try parse(trimmed))
        }
    }
}

/// etcdctl's transaction syntax: `target("key") op "value"` compares and `get|put|del ...` command lines.
enum TxnParser {
    static func compare(_ line: String) throws -> Etcdserverpb_Compare {
        guard let paren = line.firstIndex(of: "(") else { throw CtlError.invalidInput("malformed comparison: \(line)") }
        let target = String(line[..<paren])
        // Scanned like Go's Sscanf("%q) %s %q"): a quoted key, ")", spaces, an operator, spaces, a quoted value.
        var rest = line[line.index(after: paren)...]
        var key = Data(), op = "", value = Data()
        var scanned = 0
        if let (text, after) = quoted(rest.drop { $0 == " " }) {
            key = text
            scanned = 1
            rest = after
            if rest.hasPrefix(")"), rest.dropFirst().hasPrefix(" ") {
                rest = rest.dropFirst().drop { $0 == " " }
                op = String(rest.prefix { $0 != " " })
                rest = rest.dropFirst(op.count)
                scanned = op.isEmpty ? 1 : 2
                if scanned == 2, rest.hasPrefix(" "), let (text, _) = quoted(rest.drop { $0 == " " }) {
                    value = text
                    scanned = 3
                }
            }
        }
        guard scanned == 3 else {
            throw CtlError.invalidInput("malformed comparison: \(line); got \(target)(\(GoFormat.quote(key))) "
                + "\(op) \(GoFormat.quote(value))")
        }
        var compare = Etcdserverpb_Compare()
        compare.key = key
        func number(radix: Int = 10) throws -> Int64 {
            guard let text = String(data: value, encoding: .utf8), let number = Int64(text, radix: radix) else {
                throw CtlError.invalidInput("invalid txn compare request: \(line)")
            }
            return number
        }
        switch target {
        case "ver", "version": (compare.target, compare.version) = (.version, try number())
        case "c", "create": (compare.target, compare.createRevision) = (.create, try number())
        case "m", "mod": (compare.target, compare.modRevision) = (.mod, try number())
        case "val", "value": (compare.target, compare.value) = (.value, value)
        case "lease": (compare.target, compare.lease) = (.lease, try number(radix: 16))
        default: throw CtlError.invalidInput("malformed comparison: \(line) (unknown target \(target))")
        }
        switch op {
        case "=", "==": compare.result = .equal
        case "!=": compare.result = .notEqual
        case ">": compare.result = .greater
        case "<": compare.result = .less
        default: throw CtlError.invalidInput("malformed comparison: \(line) (unknown operator \(op))")
        }
        return compare
    }

    static func operation(_ line: String) throws -> Etcdserverpb_RequestOp {
        let words = argify(line)
        guard words.count >= 2 else { throw CtlError.invalidInput("invalid txn compare request: \(line)") }
        let arguments = Array(words.dropFirst())
        var op = Etcdserverpb_RequestOp()
        do {
            switch words[0] {
            case "get": op.requestRange = try GetOptions.parse(arguments).request()
            case "put": op.requestPut = try PutOptions.parse(arguments).request(stdin: false)
            case "del": op.requestDeleteRange = try DelOptions.parse(arguments).request()
            default: throw CtlError.invalidInput("invalid txn request: \(line)")
            }
        } catch let error as CtlError {
            throw error
        } catch {
            throw CtlError.invalidInput("invalid txn request: \(line)")
        }
        return op
    }

    /// Splits a line into words: runs of non-space characters, "double-quoted" strings with Go escapes, or
    /// 'single-quoted' strings taken literally.
    static func argify(_ line: String) -> [String] {
        var words: [String] = []
        var rest = Substring(line)
        while let first = rest.first {
            if first.isWhitespace {
                rest = rest.dropFirst()
            } else if first == "\"" {
                guard let (text, after) = quoted(rest) else {
                    rest = rest.dropFirst()
                    continue
                }
                words.append(String(decoding: text, as: UTF8.self))
                rest = after
            } else if first == "'", let close = rest.dropFirst().firstIndex(of: "'") {
                words.append(String(rest[rest.index(after: rest.startIndex)..<close]))
                rest = rest[rest.index(after: close)...]
            } else if first == "'" {
                rest = rest.dropFirst()
            } else {
                let word = rest.prefix { !$0.isWhitespace }
                words.append(String(word))
                rest = rest.dropFirst(word.count)
            }
        }
        return words
    }

    /// A Go-quoted string at the start of `text` ("..." with escapes, or `...` raw) and what follows it.
    static func quoted(_ text: Substring) -> (Data, Substring)? {
        let escapes: [Character: UInt8] = [
            "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "\"": 34, "'": 39,
        ]
        guard let open = text.first, open == "\"" || open == "`" else { return nil }
        var bytes: [UInt8] = []
        var rest = text.dropFirst()
        while let character = rest.popFirst() {
            if character == open { return (Data(bytes), rest) }
            guard open == "\"", character == "\\", let escape = rest.popFirst() else {
                bytes += Array(String(character).utf8)
                continue
            }
            if let byte = escapes[escape] {
                bytes.append(byte)
                continue
            }
            guard let width = ["x": 2, "u": 4, "U": 8][escape], rest.count >= width,
                let value = UInt32(rest.prefix(width), radix: 16)
            else { return nil }
            rest = rest.dropFirst(width)
            if escape == "x" {
                bytes.append(UInt8(value))
            } else if let scalar = Unicode.Scalar(value) {
                bytes += Array(String(scalar).utf8)
            } else {
                return nil
            }
        }
        return nil
    }
}
