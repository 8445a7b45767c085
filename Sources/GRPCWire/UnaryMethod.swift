import GRPCCore
import SwiftProtobuf

/// A unary method the lean server answers itself, without handing the call to grpc-swift: the request's
/// bytes in, the response's bytes or a status out.
///
/// The body runs once per call, in a task of its own; it never sees a partial or compressed request.
public struct UnaryMethod: Sendable {
    public let descriptor: MethodDescriptor
    let call: @Sendable (_ request: [UInt8], _ context: ServerContext) async -> Result<[UInt8], RPCError>

    public init(
        _ descriptor: MethodDescriptor,
        call: @escaping @Sendable (_ request: [UInt8], _ context: ServerContext) async -> Result<[UInt8], RPCError>
    ) {
        self.descriptor = descriptor
        self.call = call
    }

    /// A method whose request and response are protocol buffers. A request that does not decode is answered
    /// with `internal`, as grpc-swift's server answers it; an error other than `RPCError` with `unknown`.
    public static func protobuf<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        _ body: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) -> UnaryMethod {
        UnaryMethod(descriptor) { bytes, context in
            let request: Request
            do {
                request = try Request(serializedBytes: bytes)
            } catch {
                return .failure(RPCError(code: .internalError, message: "Failed to deserialize \(Request.protoMessageName)"))
            }
            do {
                let response = try await body(request, context)
                return .success(try response.serializedBytes())
            } catch let error as RPCError {
                return .failure(error)
            } catch {
                return .failure(RPCError(code: .unknown, message: "\(error)"))
            }
        }
    }

    /// The HTTP/2 `:path` this method is called by.
    public var path: String { "/" + descriptor.fullyQualifiedMethod }
}
