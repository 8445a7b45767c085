/// Why the transport could not start.
public enum PeerTransportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Another socket is already bound to the listen address.
    case addressInUse(host: String, port: Int)
    /// The listener could not be bound for another reason.
    case bindFailed(host: String, port: Int, reason: String)
    /// `start()` was called twice, or after `shutdown()`.
    case invalidState(String)

    public var description: String {
        switch self {
        case .addressInUse(let host, let port):
            return "peer listen address \(host):\(port) is already in use"
        case .bindFailed(let host, let port, let reason):
            return "cannot listen for peers on \(host):\(port): \(reason)"
        case .invalidState(let reason):
            return "peer transport: \(reason)"
        }
    }
}
