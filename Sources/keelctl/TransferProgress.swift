import Foundation

/// A one-line progress bar on stderr for a download whose remaining size the sender announces with each chunk.
/// Drawn only when stderr is a terminal, so scripts and logs that capture stderr see nothing of it; redrawn at
/// most ten times a second, so that it costs nothing beside the transfer itself.
struct TransferProgress {
    private static let width = 30
    private static let interval: Duration = .milliseconds(100)

    private var received: Int64 = 0
    private var total: Int64 = 0
    private var lastDrawn: ContinuousClock.Instant?
    private var drewAnything = false

    /// A progress bar if stderr is a terminal, otherwise nil.
    static func onTerminal() -> TransferProgress? {
        isatty(STDERR_FILENO) == 1 ? TransferProgress() : nil
    }

    /// Records `count` more bytes, after which the sender has `remaining` left to send.
    mutating func received(_ count: Int, remaining: UInt64) {
        received += Int64(count)
        total = max(total, received + Int64(clamping: remaining))
        let now = ContinuousClock.now
        if let lastDrawn, lastDrawn.duration(to: now) < Self.interval { return }
        lastDrawn = now
        draw()
    }

    /// Draws the final state and ends the line.
    mutating func finish() {
        guard received > 0 || drewAnything else { return }
        total = max(total, received)
        draw()
        FileHandle.standardError.write(Data("\n".utf8))
    }

    private mutating func draw() {
        drewAnything = true
        let fraction = total > 0 ? min(Double(received) / Double(total), 1) : 0
        let filled = Int(fraction * Double(Self.width))
        let bar = String(repeating: "=", count: filled) + (filled < Self.width ? ">" : "")
            + String(repeating: " ", count: max(0, Self.width - filled - 1))
        let line = "\r[\(bar)] \(GoFormat.bytes(received)) / \(GoFormat.bytes(total)) \(Int(fraction * 100))%"
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
    }
}
