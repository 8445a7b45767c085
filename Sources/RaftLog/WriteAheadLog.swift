#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import MVCC
import Raft

/// The durable part of a member's Raft log: entries and hard states appended to segment files in one
/// directory, each append one sequential write and, when asked, one `fdatasync`. Cheaper than an LMDB commit
/// (which writes scattered pages and syncs twice), and the reason a member acknowledges an entry after a
/// single sync.
///
/// Files are `<sequence>-<first index>.wal` (16 hex digits each). A record is a 4-byte length, the CRC-32C of
/// the payload, then the payload: a kind byte and its fields. Every segment starts with a header record (its
/// sequence and the index its entries start at) and the hard state in force when it was cut, so the newest
/// segment always holds the latest hard state and older segments can be deleted whole.
///
/// Guarantees: what `append(sync: true)` returned from survives a crash of the process or the machine. A
/// record torn by a crash is at the tail of the last segment: replay stops there and the next append
/// overwrites it. A bad record anywhere else is corruption and fails the replay. Files grow in zero-filled
/// chunks, so most syncs flush data only, not file metadata.
///
/// Not thread-safe: owned by its `RaftLogStore`.
final class WriteAheadLog {
    /// One replayed record, in file order.
    enum Record {
        case entries([Entry])
        case hardState(HardState)
    }

    struct Segment {
        let sequence: UInt64
        /// The index the entries written to this segment started at when it was cut. Every entry of the
        /// segments before it has a lower index.
        let firstIndex: LogIndex
        let path: String
    }

    private enum Kind: UInt8 {
        case header = 1
        case entries = 2
        case hardState = 3
    }

    static let defaultSegmentSize = 16 << 20
    /// Files grow by this much at a time, zero-filled, so that a sync after an append seldom changes the size.
    static let growthChunk = 1 << 20

    let directory: String
    let segmentSize: Int
    /// False: nothing is ever synced (a store whose environment does not sync either, for throw-away data).
    let syncs: Bool
    private(set) var segments: [Segment] = []
    /// The descriptor of the last segment, open for appending; -1 until one is opened or after `reset`.
    private var descriptor: Int32 = -1
    private var writeOffset = 0
    /// Bytes of the open segment known to exist on disk (records or zeros).
    private var allocatedEnd = 0
    /// The sequence the next segment gets.
    private(set) var nextSequence: UInt64
    private var buffer: [UInt8] = []

    /// Opens the log in `directory`, deletes segments numbered below `firstSegment` (left over from before a
    /// snapshot replaced the log) and hands every record of the others to `replay`, oldest first. Entries at
    /// or below `compactedThrough` are not needed: segments holding nothing else are deleted unread, and such
    /// entries in the others are checked but not handed out.
    init(
        directory: String, firstSegment: UInt64, compactedThrough: LogIndex = 0,
        segmentSize: Int = WriteAheadLog.defaultSegmentSize, syncs: Bool = true, replay: (Record) throws -> Void
    ) throws {
        self.directory = directory
        self.segmentSize = max(segmentSize, 4096)
        self.syncs = syncs
        nextSequence = max(firstSegment, 1)
        var found: [Segment] = []
        // The directory appears with the first segment: a store that never saved has none.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            guard let segment = Self.segment(named: name, in: directory) else { continue }
            if segment.sequence < firstSegment {
                unlink(segment.path)
            } else {
                found.append(segment)
            }
        }
        found.sort { $0.sequence < $1.sequence }
        // Every entry of a segment is below the next segment's first index; the newest segment always stays,
        // as it holds the latest hard state.
        while found.count > 1, found[1].firstIndex <= compactedThrough + 1 {
            unlink(found[0].path)
            found.removeFirst()
        }
        for (position, segment) in found.enumerated() {
            let isLast = position == found.count - 1
            let end = try Self.replay(segment, isLast: isLast, skippingThrough: compactedThrough, replay)
            guard isLast else { continue }
            if end == 0 {
                // Created by a cut that died before its header was written: nothing in it was acknowledged.
                unlink(segment.path)
                found.removeLast()
                nextSequence = max(nextSequence, segment.sequence)
                break
            }
            descriptor = open(segment.path, O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else { throw Self.failure("opening \(segment.path)") }
            writeOffset = end
            allocatedEnd = Int(lseek(descriptor, 0, SEEK_END))
        }
        segments = found
        if let last = found.last { nextSequence = max(nextSequence, last.sequence + 1) }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Appends `entries` (if any) and `hardState` (if any) in one write, then syncs when `sync` is set.
    /// `nextIndex` is the index the log continues at when there are no entries: a segment cut now starts
    /// there. `currentHardState` is what a new segment records first.
    func append(
        entries: [Entry], hardState: HardState?, nextIndex: LogIndex, currentHardState: HardState, sync: Bool
    ) throws(RaftStorageError) {
        buffer.removeAll(keepingCapacity: true)
        if !entries.isEmpty {
            Self.appendRecord(to: &buffer) { payload in
                payload.append(Kind.entries.rawValue)
                RaftLogEncoding.appendUInt32(UInt32(entries.count), to: &payload)
                for entry in entries {
                    RaftLogEncoding.appendUInt64(entry.index, to: &payload)
                    RaftLogEncoding.appendUInt32(UInt32(9 + entry.data.count), to: &payload)
                    RaftLogEncoding.append(entry, to: &payload)
                }
            }
        }
        if let hardState { Self.appendHardState(hardState, to: &buffer) }
        guard !buffer.isEmpty else { return }
        let needsSegment = descriptor < 0 || (writeOffset + buffer.count > segmentSize && writeOffset > 0)
        if needsSegment {
            try cut(firstIndex: entries.first?.index ?? nextIndex, hardState: currentHardState)
        }
        try write(buffer, sync: sync)
    }

    /// Forces what was appended without a sync onto disk.
    func sync() throws(RaftStorageError) {
        guard descriptor >= 0, syncs else { return }
        guard fdatasync(descriptor) == 0 else { throw Self.failure("syncing \(segments.last?.path ?? directory)") }
    }

    /// Closes the open segment and deletes every segment: a snapshot has replaced the log. The caller has
    /// recorded `nextSequence` (taken before this call) durably as the first segment to replay, so a crash
    /// before the deletions finish leaves nothing stale behind.
    func reset() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        writeOffset = 0
        allocatedEnd = 0
        for segment in segments { unlink(segment.path) }
        segments = []
    }

    /// Deletes the segments whose entries are all at or below `index` (compacted away). The open segment stays.
    func removeSegments(coveredThrough index: LogIndex) {
        var removable = 0
        while removable + 1 < segments.count, segments[removable + 1].firstIndex <= index + 1 {
            removable += 1
        }
        guard removable > 0 else { return }
        for segment in segments[..<removable] { unlink(segment.path) }
        segments.removeFirst(removable)
    }

    // MARK: Writing

    private func cut(firstIndex: LogIndex, hardState: HardState) throws(RaftStorageError) {
        let sequence = nextSequence
        if segments.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .failure("write-ahead log: creating \(directory): \(error)")
            }
        }
        if descriptor >= 0 {
            // Whatever the previous segment holds unsynced goes to disk first: only the last segment may end
            // in a torn record.
            try sync()
            close(descriptor)
            descriptor = -1
        }
        let name = String(format: "%016llx-%016llx.wal", sequence, firstIndex)
        let path = directory + "/" + name
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure("creating \(path)") }
        descriptor = fd
        writeOffset = 0
        allocatedEnd = 0
        nextSequence = sequence + 1
        segments.append(Segment(sequence: sequence, firstIndex: firstIndex, path: path))
        var header: [UInt8] = []
        Self.appendRecord(to: &header) { payload in
            payload.append(Kind.header.rawValue)
            RaftLogEncoding.appendUInt64(sequence, to: &payload)
            RaftLogEncoding.appendUInt64(firstIndex, to: &payload)
        }
        Self.appendHardState(hardState, to: &header)
        try write(header, sync: true)
        // The new name must survive a crash too.
        let directoryDescriptor = syncs ? open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1
        if directoryDescriptor >= 0 {
            defer { close(directoryDescriptor) }
            guard fsync(directoryDescriptor) == 0 else { throw Self.failure("syncing \(directory)") }
        }
    }

    private func write(_ bytes: [UInt8], sync: Bool) throws(RaftStorageError) {
        let end = writeOffset + bytes.count
        if end > allocatedEnd {
            // Zeros ahead of the records: replay stops at a zero length, and the next syncs find the size set.
            let newEnd = (end + Self.growthChunk - 1) / Self.growthChunk * Self.growthChunk
            let zeros = [UInt8](repeating: 0, count: newEnd - allocatedEnd)
            try writeFully(zeros, at: allocatedEnd)
            allocatedEnd = newEnd
        }
        try writeFully(bytes, at: writeOffset)
        writeOffset = end
        if sync { try self.sync() }
    }

    private func writeFully(_ bytes: [UInt8], at offset: Int) throws(RaftStorageError) {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure("writing \(segments.last?.path ?? directory)")
            }
            done += written
        }
    }

    private static func appendHardState(_ hardState: HardState, to out: inout [UInt8]) {
        appendRecord(to: &out) { payload in
            payload.append(Kind.hardState.rawValue)
            payload.append(contentsOf: RaftLogEncoding.encode(hardState))
        }
    }

    /// Appends a record whose payload `body` writes: the length and checksum are filled in after it.
    private static func appendRecord(to out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])
        body(&out)
        let length = UInt32(out.count - start - 8)
        var checksum = CRC32C()
        out.withUnsafeBytes { raw in checksum.update(UnsafeRawBufferPointer(rebasing: raw[(start + 8)...])) }
        for (offset, value) in [(0, length), (4, checksum.value)] {
            for byte in 0..<4 { out[start + offset + byte] = UInt8(truncatingIfNeeded: value >> UInt32(8 * byte)) }
        }
    }

    // MARK: Reading

    private static func segment(named name: String, in directory: String) -> Segment? {
        guard name.hasSuffix(".wal") else { return nil }
        let parts = name.dropLast(4).split(separator: "-")
        guard parts.count == 2, parts.allSatisfy({ $0.count == 16 }),
            let sequence = UInt64(parts[0], radix: 16), let firstIndex = UInt64(parts[1], radix: 16)
        else { return nil }
        return Segment(sequence: sequence, firstIndex: firstIndex, path: directory + "/" + name)
    }

    /// Replays one segment; returns the offset just past its last good record.
    private static func replay(
        _ segment: Segment, isLast: Bool, skippingThrough compacted: LogIndex, _ replay: (Record) throws -> Void
    ) throws -> Int {
        let bytes = try readWholeFile(segment.path)
        var offset = 0
        var sawHeader = false
        while bytes.count - offset >= 8 {
            let length = Int(littleEndian32(bytes, offset))
            if length == 0 { break }
            let stored = littleEndian32(bytes, offset + 4)
            guard length <= bytes.count - offset - 8,
                crc(bytes, from: offset + 8, count: length) == stored
            else {
                // A record torn by a crash can only be the last thing written.
                guard isLast else {
                    throw RaftStorageError.failure("corrupt record at offset \(offset) of \(segment.path)")
                }
                break
            }
            let record = try bytes.withUnsafeBytes { raw throws(RaftStorageError) in
                try decode(
                    UnsafeRawBufferPointer(rebasing: raw[(offset + 8)..<(offset + 8 + length)]), segment,
                    skippingThrough: compacted)
            }
            switch record {
            case .some(let record): try replay(record)
            case .none: sawHeader = true
            }
            offset += 8 + length
        }
        guard sawHeader || offset == 0 else {
            throw RaftStorageError.failure("\(segment.path) has no header record")
        }
        return offset
    }

    /// Nil for a segment header (checked against the file name).
    private static func decode(
        _ payload: UnsafeRawBufferPointer, _ segment: Segment, skippingThrough compacted: LogIndex
    ) throws(RaftStorageError) -> Record? {
        var reader = RaftLogEncoding.Reader(payload)
        let rawKind = try reader.uint8()
        switch Kind(rawValue: rawKind) {
        case .header:
            let sequence = try reader.uint64()
            let firstIndex = try reader.uint64()
            guard sequence == segment.sequence, firstIndex == segment.firstIndex else {
                throw .failure("\(segment.path) has the header of segment \(sequence) at index \(firstIndex)")
            }
            return nil
        case .entries:
            let count = Int(try reader.uint32())
            var entries: [Entry] = []
            entries.reserveCapacity(min(count, payload.count / 21))
            for _ in 0..<count {
                let index = try reader.uint64()
                let length = Int(try reader.uint32())
                guard payload.count - reader.offset >= length else { throw .failure("truncated entry \(index)") }
                if index <= compacted {
                    reader.offset += length
                    continue
                }
                let entry = try RaftLogEncoding.decodeEntry(
                    index: index, UnsafeRawBufferPointer(rebasing: payload[reader.offset..<(reader.offset + length)]))
                reader.offset += length
                entries.append(entry)
            }
            return .entries(entries)
        case .hardState:
            return .hardState(
                try RaftLogEncoding.decodeHardState(UnsafeRawBufferPointer(rebasing: payload[reader.offset...])))
        case nil:
            throw .failure("\(segment.path) holds a record of unknown kind \(rawKind)")
        }
    }

    private static func readWholeFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("opening \(path)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("reading \(path)") }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let got = read(fd, buffer.baseAddress! + done, size - done)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 {
                    failed = got < 0
                    break
                }
                done += got
            }
            count = done
        }
        if failed { throw failure("reading \(path)") }
        return bytes
    }

    private static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for byte in 0..<4 { value |= UInt32(bytes[offset + byte]) << UInt32(8 * byte) }
        return value
    }

    private static func crc(_ bytes: [UInt8], from offset: Int, count: Int) -> UInt32 {
        var checksum = CRC32C()
        bytes.withUnsafeBytes { raw in checksum.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)])) }
        return checksum.value
    }

    private static func failure(_ what: String) -> RaftStorageError {
        .failure("write-ahead log: \(what): \(String(cString: strerror(errno)))")
    }
}
