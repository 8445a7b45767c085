import LMDB

/// The byte format of a whole key-space state, as `MVCCStore.exportState()` writes it and
/// `MVCCStore.replaceState(with:preservingMeta:alongside:)` reads it (the payload of a Raft snapshot).
///
/// Layout, version 1:
///
///     magic "KEELMVCC" (8 bytes)  version (1 byte)
///     one section per key-space database, in the order of `KeySpaceDatabases.all`:
///         name (varint length, UTF-8)  pair count (8 bytes big-endian)
///         pairs in LMDB order (key, then value for duplicates): key, value (each a varint length, the bytes)
///     CRC-32C of every byte before it (4 bytes big-endian)
///
/// Guarantees: a payload accepted by `init(validating:databases:maxKeySize:)` is complete (magic,
/// version, checksum and every length check out), names exactly the expected databases, and lists each
/// database's pairs in strictly increasing LMDB order with keys LMDB accepts, so that loading it cannot fail
/// halfway for a reason found in the bytes.
struct StateTransferPayload {
    static let magic: [UInt8] = Array("KEELMVCC".utf8)
    static let version: UInt8 = 1
    static let headerCount = magic.count + 1
    static let trailerCount = 4

    /// The validated payload, trailer excluded.
    private let body: UnsafeRawBufferPointer
    private let databases: [Database]

    /// Checks the whole payload without copying it; throws `.invalidStatePayload` saying what is wrong.
    /// `raw` must outlive the value.
    init(validating raw: UnsafeRawBufferPointer, databases: [Database], maxKeySize: Int) throws {
        guard raw.count >= Self.headerCount + Self.trailerCount else {
            throw MVCCError.invalidStatePayload("\(raw.count) bytes, shorter than a header and a checksum")
        }
        guard raw.prefix(Self.magic.count).elementsEqual(Self.magic) else {
            throw MVCCError.invalidStatePayload("missing magic bytes: not a key-space state")
        }
        let version = raw[Self.magic.count]
        guard version == Self.version else {
            throw MVCCError.invalidStatePayload("format version \(version), expected \(Self.version)")
        }
        let body = UnsafeRawBufferPointer(rebasing: raw[..<(raw.count - Self.trailerCount)])
        var stored: UInt32 = 0
        for byte in raw.suffix(Self.trailerCount) { stored = stored << 8 | UInt32(byte) }
        var crc = CRC32C()
        crc.update(body)
        guard crc.value == stored else {
            throw MVCCError.invalidStatePayload(
                "checksum mismatch (stored \(stored), computed \(crc.value)): truncated or damaged"
            )
        }
        self.body = body
        self.databases = databases
        try checkStructure(maxKeySize: maxKeySize)
    }

    /// Walks every pair once: lengths, names, counts, key sizes and order.
    private func checkStructure(maxKeySize: Int) throws {
        var previousKey: UnsafeRawBufferPointer?
        var previousValue: UnsafeRawBufferPointer?
        var currentSection = -1
        try walk { section, key, value in
            if section != currentSection {
                currentSection = section
                previousKey = nil
                previousValue = nil
            }
            let database = databases[section]
            let name = database.name ?? ""
            let isDuplicateSorted = database.flags.contains(.duplicateSort)
            guard !key.isEmpty && key.count <= maxKeySize else {
                throw MVCCError.invalidStatePayload("\(name): key of \(key.count) bytes")
            }
            guard !isDuplicateSorted || value.count <= maxKeySize else {
                throw MVCCError.invalidStatePayload("\(name): duplicate value of \(value.count) bytes")
            }
            if let previousKey, let previousValue {
                let order = compareBytes(key, previousKey)
                let sameKeyAllowed = isDuplicateSorted && order == 0 && compareBytes(value, previousValue) > 0
                guard order > 0 || sameKeyAllowed else {
                    throw MVCCError.invalidStatePayload("\(name): pairs out of order or repeated")
                }
            }
            previousKey = key
            previousValue = value
        }
    }

    /// Calls `visit` with each pair, its section's index in `databases` first; the buffers point into
    /// the payload. Throws `.invalidStatePayload` on a structural error.
    func walk(
        _ visit: (_ section: Int, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var reader = PayloadReader(bytes: body, offset: Self.headerCount)
        for (section, database) in databases.enumerated() {
            let expected = database.name ?? ""
            let name = String(decoding: try reader.string(in: expected), as: UTF8.self)
            guard name == expected else {
                throw MVCCError.invalidStatePayload("section \(section) is \"\(name)\", expected \"\(expected)\"")
            }
            let count = try reader.bigEndian(in: name)
            // Every pair takes at least three bytes (two lengths and a one-byte key).
            guard count <= UInt64(reader.remaining / 3) else {
                throw MVCCError.invalidStatePayload("\(name): \(count) pairs cannot fit in the payload")
            }
            for _ in 0..<count {
                let key = try reader.string(in: name)
                let value = try reader.string(in: name)
                try visit(section, key, value)
            }
        }
        guard reader.remaining == 0 else {
            throw MVCCError.invalidStatePayload("\(reader.remaining) bytes after the last section")
        }
    }

    /// Writes the payload of the given databases as `txn` sees them.
    static func encode(_ databases: [Database], in txn: Transaction) throws -> [UInt8] {
        var estimate = headerCount + trailerCount
        for database in databases {
            let statistics = try txn.statistics(database)
            estimate += 32 + statistics.pages * statistics.pageSize
        }
        var out: [UInt8] = []
        out.reserveCapacity(estimate)
        out.append(contentsOf: magic)
        out.append(version)
        for database in databases {
            let name = Array((database.name ?? "").utf8)
            out.appendVarint(UInt64(name.count))
            out.append(contentsOf: name)
            let countOffset = out.count
            out.appendBigEndian(0)
            var count: UInt64 = 0
            try txn.withCursor(database) { cursor in
                var found = try cursor.first()
                while found {
                    try cursor.withCurrent { key, value in
                        out.appendVarint(UInt64(key.count))
                        out.append(contentsOf: key)
                        out.appendVarint(UInt64(value.count))
                        out.append(contentsOf: value)
                    }
                    count += 1
                    found = try cursor.next()
                }
            }
            withUnsafeBytes(of: count.bigEndian) { countBytes in
                out.replaceSubrange(countOffset..<countOffset + 8, with: countBytes)
            }
        }
        var crc = CRC32C()
        crc.update(out)
        withUnsafeBytes(of: crc.value.bigEndian) { out.append(contentsOf: $0) }
        return out
    }
}

/// Bounds-checked reads of the payload's varint-prefixed strings and big-endian counts.
private struct PayloadReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    var remaining: Int { bytes.count - offset }

    private func truncated(_ section: String) -> MVCCError {
        .invalidStatePayload("\(section): a length runs past the end of the payload at byte \(offset)")
    }

    mutating func varint(in section: String) throws(MVCCError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw truncated(section) }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw .invalidStatePayload("\(section): malformed varint at byte \(offset)") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func bigEndian(in section: String) throws(MVCCError) -> UInt64 {
        guard remaining >= 8 else { throw truncated(section) }
        defer { offset += 8 }
        return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func string(in section: String) throws(MVCCError) -> UnsafeRawBufferPointer {
        let count = try varint(in: section)
        guard count <= UInt64(remaining) else { throw truncated(section) }
        defer { offset += Int(count) }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(count)])
    }
}
