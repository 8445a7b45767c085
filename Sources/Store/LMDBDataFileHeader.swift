/// What the two meta pages at the start of an LMDB data file say about it: the page size, the format
/// version, and how many pages the last committed transaction uses.
///
/// Read from the bytes themselves, before LMDB maps the file: LMDB trusts its meta pages and maps the whole
/// data file, so a file cut short would fault on the first read of a missing page instead of failing
/// cleanly. Checking `requiredSize` against the file's size first turns that into an error that says why.
/// The layout is LMDB's on-disk format (64-bit, little-endian): a 16-byte page header, then `MDB_meta`.
struct LMDBDataFileHeader: Equatable {
    /// LMDB's `MDB_MAGIC`.
    static let magic: UInt32 = 0xBEEF_C0DE
    /// `MDB_DATA_VERSION` of the builds that write the files we read.
    static let supportedVersion: UInt32 = 1
    private static let pageHeaderSize = 16
    private static let metaPageFlag: UInt16 = 0x08
    /// Offsets inside `MDB_meta` of the fields read here.
    private static let versionOffset = 4
    private static let pageSizeOffset = 24
    private static let lastPageOffset = 120
    private static let transactionOffset = 128
    private static let metaSize = 136

    /// The data format version (`mm_version`).
    var version: UInt32
    var pageSize: Int
    /// The last page used by the newest committed transaction (`mm_last_pg`).
    var lastPage: UInt64
    /// The newest committed transaction id (`mm_txnid`).
    var transactionID: UInt64

    /// The bytes the newest committed transaction needs: every page up to and including `lastPage`.
    var requiredSize: Int64 { Int64(clamping: (lastPage + 1).multipliedReportingOverflow(by: UInt64(pageSize)).partialValue) }

    /// Parses the meta pages. `bytes` are the first bytes of the file: at least one page plus one meta
    /// record (the second meta page starts one page in). Throws a sentence saying what is not LMDB about it.
    init(parsing bytes: [UInt8]) throws(HeaderError) {
        guard let first = Self.meta(bytes, at: 0) else {
            throw HeaderError("it does not start with an LMDB meta page (no LMDB magic number)")
        }
        guard first.version == Self.supportedVersion else {
            throw HeaderError("LMDB data format version \(first.version) is not supported (only \(Self.supportedVersion))")
        }
        guard first.pageSize >= 512, first.pageSize <= 65536, first.pageSize & (first.pageSize - 1) == 0 else {
            throw HeaderError("its LMDB page size \(first.pageSize) is not a power of two between 512 and 65536")
        }
        // Both meta pages are written alternately; the one with the newer transaction is current. A torn
        // or missing second page leaves the first in force, as LMDB itself decides.
        if let second = Self.meta(bytes, at: first.pageSize), second.pageSize == first.pageSize,
            second.transactionID > first.transactionID
        {
            self = second
        } else {
            self = first
        }
    }

    private init(version: UInt32, pageSize: Int, lastPage: UInt64, transactionID: UInt64) {
        self.version = version
        self.pageSize = pageSize
        self.lastPage = lastPage
        self.transactionID = transactionID
    }

    private static func meta(_ bytes: [UInt8], at pageOffset: Int) -> LMDBDataFileHeader? {
        let base = pageOffset + pageHeaderSize
        guard base + metaSize <= bytes.count,
            UInt16(littleEndianAt: pageOffset + 10, in: bytes) & metaPageFlag != 0,
            UInt32(littleEndianAt: base, in: bytes) == magic
        else { return nil }
        return LMDBDataFileHeader(
            version: UInt32(littleEndianAt: base + versionOffset, in: bytes),
            pageSize: Int(UInt32(littleEndianAt: base + pageSizeOffset, in: bytes)),
            lastPage: UInt64(littleEndianAt: base + lastPageOffset, in: bytes),
            transactionID: UInt64(littleEndianAt: base + transactionOffset, in: bytes))
    }

    /// Why bytes are not an LMDB data file.
    struct HeaderError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}

extension FixedWidthInteger {
    /// The integer stored little-endian at `offset`; the caller has checked the bounds.
    fileprivate init(littleEndianAt offset: Int, in bytes: [UInt8]) {
        var value: Self = 0
        for index in (0..<(Self.bitWidth / 8)).reversed() {
            value = value << 8 | Self(bytes[offset + index])
        }
        self = value
    }
}
