/// The append messages sent to one follower and not yet acknowledged, as the last index each carried and
/// its size. Bounds how much a leader pipelines to a follower, by count and by bytes.
struct Inflights: Hashable, Sendable {
    private var items: [(index: LogIndex, bytes: Int)] = []
    private var start = 0
    private(set) var bytes = 0
    let capacity: Int
    let maxBytes: Int

    init(capacity: Int, maxBytes: Int) {
        precondition(capacity > 0, "in-flight capacity must be positive")
        self.capacity = capacity
        self.maxBytes = maxBytes
    }

    var count: Int { items.count - start }

    var isFull: Bool { count >= capacity || (maxBytes > 0 && bytes >= maxBytes) }

    mutating func add(index: LogIndex, bytes: Int) {
        precondition(count < capacity, "in-flight window overflow")
        items.append((index, bytes))
        self.bytes += bytes
    }

    /// Frees every message whose last index is at most `index`.
    mutating func free(through index: LogIndex) {
        while start < items.count, items[start].index <= index {
            bytes -= items[start].bytes
            start += 1
        }
        compact()
    }

    mutating func freeFirst() {
        guard start < items.count else { return }
        bytes -= items[start].bytes
        start += 1
        compact()
    }

    mutating func reset() {
        items.removeAll(keepingCapacity: true)
        start = 0
        bytes = 0
    }

    private mutating func compact() {
        if start == items.count {
            items.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 64 && start * 2 > items.count {
            items.removeFirst(start)
            start = 0
        }
    }

    static func == (lhs: Inflights, rhs: Inflights) -> Bool {
        lhs.count == rhs.count && lhs.bytes == rhs.bytes
            && zip(lhs.items[lhs.start...], rhs.items[rhs.start...]).allSatisfy { $0.index == $1.index }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(bytes)
    }
}
