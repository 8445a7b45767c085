import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Stops a member whose parent (`keel up`) has gone, however it went (a SIGKILL leaves no chance to signal
/// the children): once the parent process changes, the member sends itself SIGTERM and shuts down cleanly.
enum ParentWatch {
    static func start() {
        let parent = getppid()
        let thread = Thread {
            while getppid() == parent { usleep(250_000) }
            kill(getpid(), SIGTERM)
        }
        thread.name = "keel-parent-watch"
        thread.start()
    }
}
