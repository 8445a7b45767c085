import GRPCCore
import SwiftProtobuf

/// A unary method the lean server answers itself, without handing the call to grpc-swift: the request's
/// bytes in, the response's bytes or a status out.
///
/// The body runs once per call and never sees a partial or compressed request. A `task` body runs in a task
/// of its own; an `immediate` body runs on the connection's event loop, must not block, and answers through
/// its `UnaryReply` from whatever thread finishes the work, which saves the task and the hops to and from it.
public struct UnaryMethod: Sendable {
    public let descriptor: MethodDescriptor
    let handler: Handler

    enum Handler: Sendable {
        case task(@Sendable (_ request: [UInt8], _ context: ServerContext) async -> Result<[UInt8], RPCError>)
        case immediate(@Sendable (_ request: [UInt8], _ reply: UnaryReply) -> Void)
    }

    public init(
        _ descriptor: MethodDescriptor,
        call: @escaping @Sendable (_ request: [UInt8], _ context: ServerContext) async -> Result<[UInt8], RPCError>
    ) {
        self.descriptor = descriptor
        self.handler = .task(call)
    }

    public init(_ descriptor: MethodDescriptor, immediate: @escaping @Sendable (_ request: [UInt8], _ reply: UnaryReply) -> Void) {
        self.descriptor = descriptor
        self.handler = .immediate(immediate)
    }

    /// A method whose request and response are protocol buffers, answered without a task: the request is
    /// decoded on the event loop, `body` starts the work and calls its reply once, from any thread; the
    /// response is encoded back on the event loop.
    public static func protobuf<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        immediate body: @escaping @Sendable (Request, _ reply: @escaping @Sendable (Result<Response, RPCError>) -> Void) -> Void
    ) -> UnaryMethod {
        UnaryMethod(descriptor) { bytes, reply in
            let request: Request
            switch decode(bytes) as Result<Request, RPCError> {
            case .success(let decoded): request = decoded
            case .failure(let error):
                reply { .failure(error) }
                return
            }
            body(request) { result in
                reply {
                    result.flatMap { response in
                        do {
                            return .success(try response.serializedBytes())
                        } catch {
                            return .failure(RPCError(code: .internalError, message: "\(error)"))
                        }
                    }
                }
            }
        }
    }

    /// A method whose request and response are protocol buffers, answered from a task. An error other than
    /// `RPCError` is answered with `unknown`.
    public static func protobuf<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> UnaryMethod {
        UnaryMethod(descriptor, call: { bytes, context in
            let request: Request
            switch decode(bytes) as Result<Request, RPCError> {
            case .success(let decoded): request = decoded
            case .failure(let error): return .failure(error)
            }
            do {
                let response = try await body(request, context)
                return .success(try response.serializedBytes())
            } catch let error as RPCError {
                return .failure(error)
            } catch {
                return .failure(RPCError(code: .unknown, message: "\(error)"))
            }
        })
    }

    /// A request that does not decode is answered with `internal`, as grpc-swift's server answers it.
    private static func decode<Request: SwiftProtobuf.Message>(_ bytes: [UInt8]) -> Result<Request, RPCError> {
        do {
            return .success(try Request(serializedBytes: bytes))
        } catch {
            return .failure(RPCError(code: .internalError, message: "Failed to deserialize \(Request.protoMessageName)"))
        }
    }

    /// The HTTP/2 `:path` this method is called by.
    public var path: String { "/" + descriptor.fullyQualifiedMethod }
}

/// Where the answer to one `immediate` unary call goes. Call it once, from any thread: the answer is made
/// (`produce` runs) and written on the connection's event loop. Later calls, and calls after the client
/// reset the stream, are ignored.
public struct UnaryReply: Sendable {
    let deliver: @Sendable (_ produce: @escaping @Sendable () -> Result<[UInt8], RPCError>) -> Void

    public func callAsFunction(_ produce: @escaping @Sendable () -> Result<[UInt8], RPCError>) {
        deliver(produce)
    }
}
