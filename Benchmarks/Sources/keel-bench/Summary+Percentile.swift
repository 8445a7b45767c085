extension Summary {
    /// The nearest-rank percentile: the smallest sample that at least `percent` % of the samples do not
    /// exceed. With fewer than 100 samples the 99th percentile is therefore the largest one.
    func percentile(_ percent: Double) -> Duration {
        precondition((0...100).contains(percent), "percentile out of range")
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(rank, 1) - 1]
    }
}
