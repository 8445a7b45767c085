/// A slot for state built in a benchmark's setup hook, used by its body, and released in its teardown hook
/// (the framework keeps a benchmark alive to the end of the run, so the state must not hang on it).
public final class Fixture<Value> {
    public var value: Value?

    public init() {}

    /// The state built by setup; a benchmark body runs only after its setup succeeded.
    public var current: Value {
        guard let value else { preconditionFailure("benchmark body ran without its setup") }
        return value
    }
}
