import ArgumentParser
import ChaosCheck
import Foundation

/// `keel-chaos check HISTORY.jsonl`: runs the checkers over a history recorded earlier.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a recorded history (history.jsonl) and print the verdict.",
        discussion: "Exits with status 1 when a checker finds a violation, 2 when a check was inconclusive."
    )

    @Argument(help: "The history file, JSON lines as `keel-chaos run` writes them.")
    var history: String

    func run() throws {
        let text: String
        do {
            text = try String(contentsOfFile: history, encoding: .utf8)
        } catch {
            throw ChaosError("cannot read \(history): \(error)")
        }
        let lines = try HistoryLine.decodeFile(text)
        let report = Checking.check(lines: lines, finalRead: nil)
        say(report.summary)
        switch report.verdict {
        case .pass: return
        case .fail: throw ExitCode(1)
        case .unknown: throw ExitCode(2)
        }
    }
}
