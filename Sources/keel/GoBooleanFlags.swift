/// etcd reads its flags the Go way, where a boolean flag may be written `--name`, `--name=true` or
/// `--name=false` (also `1`/`0`, `t`/`f`, with one dash or two). The argument parser knows only `--name`,
/// so the command line is rewritten before it is parsed: scripts written for etcd keep working.
enum GoBooleanFlags {
    /// The boolean flags of `keel store`, as etcd spells them.
    static let names: Set<String> = ["experimental-initial-corrupt-check", "unsafe-no-fsync"]

    /// A value that is not a Go boolean, with etcd's message.
    struct InvalidValue: Error, CustomStringConvertible {
        let flag: String
        let value: String
        var description: String { "invalid boolean value \"\(value)\" for -\(flag): parse error" }
    }

    /// `arguments` with every `--name=VALUE` of a known boolean flag turned into `--name` (true) or dropped
    /// (false). Arguments after `--` are left alone.
    static func normalized(_ arguments: [String]) throws(InvalidValue) -> [String] {
        var result: [String] = []
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            if argument == "--" {
                result.append(argument)
                result.append(contentsOf: rest)
                break
            }
            guard argument.hasPrefix("-"), let equals = argument.firstIndex(of: "=") else {
                result.append(argument)
                continue
            }
            let name = String(argument[..<equals].drop { $0 == "-" })
            guard names.contains(name) else {
                result.append(argument)
                continue
            }
            let value = String(argument[argument.index(after: equals)...])
            switch value {
            case "1", "t", "T", "true", "TRUE", "True": result.append("--\(name)")
            case "0", "f", "F", "false", "FALSE", "False": break
            default: throw InvalidValue(flag: name, value: value)
            }
        }
        return result
    }
}
