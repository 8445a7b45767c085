import ChaosCheck
import Foundation
import Synchronization

/// The history of a run: every line is appended to `history.jsonl` as soon as it is known (so that a run
/// that dies still leaves what it saw) and kept in memory for the checkers and the summary.
final class HistoryLog: Sendable {
    private struct State {
        var handle: FileHandle?
        var lines: [HistoryLine] = []
        var writeError: String?
    }

    let url: URL
    private let state: Mutex<State>
    private let nextOperationID = Atomic<Int>(0)

    init(url: URL) throws {
        self.url = url
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        do {
            state = Mutex(State(handle: try FileHandle(forWritingTo: url)))
        } catch {
            throw ChaosError("cannot write the history to \(url.path): \(error)")
        }
    }

    /// A number unique within the run, for a new operation.
    func operationID() -> Int {
        nextOperationID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    func append(_ line: HistoryLine) {
        let text: String
        do {
            text = try line.jsonLine() + "\n"
        } catch {
            state.withLock { $0.writeError = "\(error)" }
            return
        }
        state.withLock { state in
            state.lines.append(line)
            do {
                try state.handle?.write(contentsOf: Data(text.utf8))
            } catch {
                state.writeError = "\(error)"
            }
        }
    }

    var lines: [HistoryLine] { state.withLock { $0.lines } }

    /// The first failure to write the file, if any.
    var writeError: String? { state.withLock { $0.writeError } }

    func close() {
        state.withLock { state in
            try? state.handle?.close()
            state.handle = nil
        }
    }
}
