import Synchronization

/// A counter shared by concurrent workers: `next()` hands out 0, 1, 2, ...; `value` is how many it handed out.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    func next() -> Int {
        count.add(1, ordering: .relaxed).oldValue
    }

    /// Counts `amount` more at once.
    @discardableResult
    func add(_ amount: Int) -> Int {
        count.add(amount, ordering: .relaxed).newValue
    }

    var value: Int { count.load(ordering: .relaxed) }
}
