/// How often and how patiently a request that is safe to repeat is tried again.
///
/// One attempt goes to one endpoint; after a failure the next attempt goes to the next endpoint at once,
/// and only when every endpoint has failed in a round does the client wait, longer after each round.
/// Every endpoint is tried at least once, whatever `maxAttempts` says.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    /// The wait after the first round of failures.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    public var multiplier: Double

    public init(
        maxAttempts: Int = 6, initialBackoff: Duration = .milliseconds(50), maxBackoff: Duration = .seconds(1),
        multiplier: Double = 2
    ) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
    }

    /// The wait after `round` (1 for the first) complete rounds of failures, with ±20 % jitter so that
    /// many clients do not come back in step.
    func backoff(afterRound round: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(round, 1) {
            delay = min(delay * multiplier, maxBackoff)
        }
        delay = min(delay, maxBackoff)
        return delay * Double.random(in: 0.8...1.2)
    }
}
