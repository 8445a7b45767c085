import Foundation
import GRPCCore
import NIOHPACK

/// The HTTP/2 header blocks of gRPC over HTTP/2: a response's head, its trailers, and the status they carry,
/// with `grpc-message` percent-encoded as the protocol asks.
public enum GRPCHeaders {
    public static let contentType = "application/grpc"

    /// The head of a successful response.
    public static func responseHead(_ metadata: Metadata = [:]) -> HPACKHeaders {
        var headers: HPACKHeaders = [":status": "200", "content-type": contentType]
        append(metadata, to: &headers)
        return headers
    }

    /// The trailers that end a response.
    public static func trailers(_ status: Status, _ metadata: Metadata = [:]) -> HPACKHeaders {
        var headers: HPACKHeaders = ["grpc-status": String(status.code.rawValue)]
        if !status.message.isEmpty {
            headers.add(name: "grpc-message", value: percentEncoded(status.message))
        }
        append(metadata, to: &headers)
        return headers
    }

    /// The single header block of a response that fails before any message: head and trailers together.
    public static func trailersOnly(_ status: Status, _ metadata: Metadata = [:]) -> HPACKHeaders {
        var headers = responseHead()
        headers.add(contentsOf: trailers(status, metadata))
        return headers
    }

    /// The status a block of trailers carries; nil when it carries none.
    public static func status(in headers: HPACKHeaders) -> Status? {
        guard let raw = headers.first(name: "grpc-status") else { return nil }
        let code = Int(raw).flatMap { Status.Code(rawValue: $0) } ?? .unknown
        let message = headers.first(name: "grpc-message").map(percentDecoded) ?? ""
        return Status(code: code, message: message)
    }

    /// The caller's metadata in a request's headers: everything but pseudo-headers and the headers gRPC
    /// itself defines.
    public static func metadata(in headers: HPACKHeaders) -> Metadata {
        var metadata = Metadata()
        for (name, value, _) in headers {
            if name.hasPrefix(":") || reserved.contains(name) { continue }
            if name.hasSuffix("-bin") {
                if let bytes = try? base64Decoded(value) { metadata.addBinary(bytes, forKey: name) }
            } else {
                metadata.addString(value, forKey: name)
            }
        }
        return metadata
    }

    private static let reserved: Set<String> = [
        "te", "content-type", "grpc-encoding", "grpc-accept-encoding", "grpc-timeout", "grpc-status",
        "grpc-message", "user-agent",
    ]

    private static func append(_ metadata: Metadata, to headers: inout HPACKHeaders) {
        for (key, value) in metadata {
            switch value {
            case .string(let string): headers.add(name: key, value: string)
            case .binary(let bytes): headers.add(name: key, value: base64Encoded(bytes))
            }
        }
    }

    /// Percent-encodes every byte outside printable ASCII, and `%` itself.
    static func percentEncoded(_ message: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte >> 4, radix: 16, uppercase: true)
                    + String(byte & 0x0F, radix: 16, uppercase: true)
            }
        }
        return encoded
    }

    /// Reverses `percentEncoded`, leaving a malformed escape as it is.
    static func percentDecoded(_ message: String) -> String {
        let bytes = Array(message.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func base64Encoded(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    struct InvalidBase64: Error {}

    /// Decodes padded or unpadded base64, as gRPC peers send either.
    static func base64Decoded(_ text: String) throws -> [UInt8] {
        var padded = text
        while padded.utf8.count % 4 != 0 { padded += "=" }
        guard let data = Data(base64Encoded: padded) else { throw InvalidBase64() }
        return Array(data)
    }
}
