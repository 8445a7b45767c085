import ArgumentParser

/// Which gRPC client the unary workloads (put, range, txn-put, txn-mixed) send their requests with.
enum UnaryClientKind: String, Sendable, ExpressibleByArgument {
    /// GRPCWire's unary client: frames written straight onto each HTTP/2 connection, no task or stream
    /// channel per call, so that the generator leaves the CPU to the servers it measures.
    case lean
    /// grpc-swift 2's client over its HTTP/2 transport.
    case grpcSwift = "grpc-swift"
}
