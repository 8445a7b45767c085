import Foundation

/// Writes a result line to standard output at once (not buffered), so each shows as soon as it is known,
/// even when the output is a pipe.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes a progress line to standard error, apart from the results.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
