import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error, redrawn a few times a second while a workload runs, and only
/// when standard error is a terminal: scripts that capture the output get none of it.
final class ProgressBar: Sendable {
    private let label: String
    private let limit: WorkloadLimit
    private let done: Counter
    private let start = ContinuousClock.now
    private let drawn = Atomic<Bool>(false)

    /// Whether a bar is drawn at all.
    let enabled: Bool

    init(label: String, limit: WorkloadLimit, done: Counter, enabled: Bool = true) {
        self.label = label
        self.limit = limit
        self.done = done
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    /// Redraws the bar every `interval` until the task is cancelled, then erases it.
    func run(every interval: Duration = .milliseconds(200)) async {
        guard enabled else { return }
        while !Task.isCancelled {
            draw()
            try? await Task.sleep(for: interval)
        }
        if drawn.load(ordering: .relaxed) { write("\r\u{1B}[2K") }
    }

    private func draw() {
        let elapsed = ContinuousClock.now - start
        let count = done.value
        let fraction: Double
        switch limit {
        case .requests(let total): fraction = Double(count) / Double(max(total, 1))
        case .duration(let duration): fraction = elapsed.milliseconds / max(duration.milliseconds, 1)
        }
        let width = 30
        let filled = min(width, Int(fraction * Double(width)))
        let seconds = elapsed.milliseconds / 1000
        let rate = seconds > 0 ? Double(count) / seconds : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let percent = min(fraction, 1) * 100
        write(String(format: "\r%@ [%@] %3.0f%% %d done, %.0f/s, %.1f s", label, bar, percent, count, rate, seconds))
        drawn.store(true, ordering: .relaxed)
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
