/// A FIFO of events waiting for one watcher's consumer, handed out in batches of whole revisions.
struct WatchEventQueue {
    private var storage: [Event] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }

    mutating func append(contentsOf events: [Event]) {
        storage.append(contentsOf: events)
    }

    /// Removes and returns the oldest events: whole revisions, stopping at the first revision boundary at or
    /// after `maxEvents` events. A revision larger than `maxEvents` comes out whole.
    mutating func popBatch(maxEvents: Int) -> [Event] {
        var end = head
        while end < storage.count {
            if end - head >= maxEvents && storage[end].kv.modRevision != storage[end - 1].kv.modRevision { break }
            end += 1
        }
        let batch = Array(storage[head..<end])
        if end == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 4096)
            head = 0
        } else {
            head = end
            // Reclaim the consumed prefix once it dominates, so a queue that never drains stays bounded.
            if head >= 1024 && head * 2 >= storage.count {
                storage.removeSubrange(0..<head)
                head = 0
            }
        }
        return batch
    }
}
