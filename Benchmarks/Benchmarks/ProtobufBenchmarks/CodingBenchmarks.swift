import Benchmark
import EtcdAPI
import SwiftProtobuf

/// Encoding (`serializedBytes()`) and decoding (`init(serializedBytes:)`) of the three messages on Keel's
/// hot paths: a put request as a client sends it, a range response of 100 keys, and a watch response
/// carrying 100 events. The output of an encode and the message of a decode are consumed by `blackHole`.
func registerCodingBenchmarks() {
    codingBenchmarks(
        "PutRequest (8-byte key, 256-byte value)", MessageSamples.putRequest, scalingFactor: .kilo)
    codingBenchmarks(
        "RangeResponse (100 KeyValues)", MessageSamples.rangeResponse(count: 100), scalingFactor: .one)
    codingBenchmarks(
        "WatchResponse (100 events)", MessageSamples.watchResponse(events: 100), scalingFactor: .one)
}

private func codingBenchmarks<M: SwiftProtobuf.Message & Sendable>(
    _ label: String,
    _ message: M,
    scalingFactor: BenchmarkScalingFactor
) {
    let encoded: [UInt8]
    do {
        encoded = try message.serializedBytes()
    } catch {
        preconditionFailure("encoding the sample \(M.self) failed: \(error)")
    }
    Benchmark("protobuf encode \(label)", configuration: .init(scalingFactor: scalingFactor)) { benchmark in
        for _ in benchmark.scaledIterations {
            let bytes: [UInt8] = try message.serializedBytes()
            blackHole(bytes)
        }
    }
    Benchmark("protobuf decode \(label)", configuration: .init(scalingFactor: scalingFactor)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try M(serializedBytes: encoded))
        }
    }
}
