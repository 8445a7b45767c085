/// A scenario script: its blocks of command and expected output, and the comments before each.
public struct ScenarioScript {
    public struct Block {
        public var comments: [String]
        public var command: String
        public var expected: String
    }

    public var blocks: [Block]

    public init(parsing text: String) {
        blocks = []
        var comments: [String] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        while let line = lines.popFirst() {
            if line.hasPrefix("#") {
                comments.append(line)
                continue
            }
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            var expected: [String] = []
            if lines.first == "----" {
                lines.removeFirst()
                while let next = lines.first, !next.isEmpty {
                    expected.append(next)
                    lines.removeFirst()
                }
            }
            blocks.append(Block(comments: comments, command: line, expected: expected.joined(separator: "\n")))
            comments = []
        }
    }

    /// Runs every block; returns the script text with the actual outputs.
    public func run() -> (text: String, mismatches: [(command: String, expected: String, actual: String)]) {
        var runner = ScenarioRunner()
        var text: [String] = []
        var mismatches: [(String, String, String)] = []
        for block in blocks {
            let actual = runner.run(block.command)
            if actual != block.expected { mismatches.append((block.command, block.expected, actual)) }
            text += block.comments
            text.append(block.command)
            text.append("----")
            if !actual.isEmpty { text.append(actual) }
            text.append("")
        }
        return (text.joined(separator: "\n"), mismatches)
    }
}
