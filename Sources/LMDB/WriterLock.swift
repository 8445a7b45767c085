#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Serializes the write transactions of one process, from `begin` to commit or abort.
///
/// A transaction may be begun in one call and committed in another (`Environment.beginWrite()`), so the lock
/// is taken and released in separate calls rather than around a closure. Both must happen on the same
/// thread, as LMDB requires of its own writer lock.
final class WriterLock: @unchecked Sendable {  // reason: the pthread mutex is the synchronization
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }

    func unlock() { pthread_mutex_unlock(mutex) }
}
