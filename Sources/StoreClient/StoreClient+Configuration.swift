extension StoreClient {
    /// Timeouts, retries and connection settings; the defaults suit a store on a local network.
    public struct Configuration: Sendable {
        /// How long to wait for a connection to an endpoint before trying the next one.
        public var dialTimeout: Duration = .seconds(2)
        /// How long one attempt of a unary request may take on one endpoint.
        public var requestTimeout: Duration = .seconds(5)
        public var retry = RetryPolicy()
        /// The first and the longest wait between reconnection attempts to an endpoint that is down.
        public var reconnectBackoff: (initial: Duration, max: Duration) = (.milliseconds(100), .seconds(2))
        /// HTTP/2 pings on connections that carry calls, to notice a peer that vanished without closing
        /// the connection; `nil` to disable. etcd rejects pings more often than every 5 s.
        public var keepalive: (time: Duration, timeout: Duration)? = (.seconds(30), .seconds(10))
        /// Requests larger than this are refused before they are sent (etcd's clients: 2 MiB).
        public var maxRequestBytes = 2 * 1024 * 1024
        public var maxResponseBytes = Int(Int32.max)

        public init() {}
    }
}
