/// Order statistics of a set of durations.
struct Summary {
    let sorted: [Duration]

    init(_ samples: [Duration]) {
        precondition(!samples.isEmpty, "no samples")
        sorted = samples.sorted()
    }

    var min: Duration { sorted[0] }
    var max: Duration { sorted[sorted.count - 1] }

    /// The middle sample; the mean of the two middle ones for an even count.
    var median: Duration {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// Milliseconds with one decimal, e.g. "12.3".
    var millisecondsText: String {
        let tenths = (milliseconds * 10).rounded()
        return "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
    }
}
