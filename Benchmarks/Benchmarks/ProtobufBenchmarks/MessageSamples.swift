import EtcdAPI
import Foundation

/// The messages the benchmarks encode and decode, shaped like Keel's traffic: 8-byte keys and 256-byte
/// values (what `keel-bench load` writes), a response header as a member fills it, and revisions that grow
/// from key to key.
enum MessageSamples {
    static let keySize = 8
    static let valueSize = 256
    static let header: Etcdserverpb_ResponseHeader = {
        var header = Etcdserverpb_ResponseHeader()
        header.clusterID = 0x5A1D_C0DE_0000_0001
        header.memberID = 0x0000_0000_0000_0002
        header.revision = 1_000_000
        header.raftTerm = 7
        return header
    }()

    /// Key number `index` as zero-padded decimal digits.
    static func key(_ index: Int) -> Data {
        let digits = String(index)
        return Data((String(repeating: "0", count: max(0, keySize - digits.count)) + digits).utf8)
    }

    /// A value that differs from key to key, so the encoder copies real bytes.
    static func value(_ index: Int) -> Data {
        Data((0..<valueSize).map { UInt8(ascii: "a") + UInt8(($0 &+ index) % 26) })
    }

    static func keyValue(_ index: Int) -> Mvccpb_KeyValue {
        var kv = Mvccpb_KeyValue()
        kv.key = key(index)
        kv.value = value(index)
        kv.createRevision = 500_000 + Int64(index)
        kv.modRevision = 900_000 + Int64(index)
        kv.version = 3
        return kv
    }

    static let putRequest: Etcdserverpb_PutRequest = {
        var request = Etcdserverpb_PutRequest()
        request.key = key(42)
        request.value = value(42)
        return request
    }()

    /// A range of `count` consecutive keys, as a list or a paginated read returns them.
    static func rangeResponse(count: Int) -> Etcdserverpb_RangeResponse {
        var response = Etcdserverpb_RangeResponse()
        response.header = header
        response.kvs = (0..<count).map(keyValue)
        response.count = Int64(count)
        return response
    }

    /// `count` put events delivered to one watcher in one response.
    static func watchResponse(events count: Int) -> Etcdserverpb_WatchResponse {
        var response = Etcdserverpb_WatchResponse()
        response.header = header
        response.watchID = 1
        response.events = (0..<count).map { index in
            var event = Mvccpb_Event()
            event.type = .put
            event.kv = keyValue(index)
            return event
        }
        return response
    }
}
