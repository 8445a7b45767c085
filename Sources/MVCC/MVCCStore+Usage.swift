import LMDB

extension MVCCStore {
    /// Bytes of the data file that hold the key space itself: the pages of the five key-space databases,
    /// history included until it is compacted. Other databases sharing the environment (the Raft log) are
    /// left out, so that this is what compaction can bring down, as etcd's backend quota counts its bbolt
    /// file and not its write-ahead log.
    public var keySpaceBytesInUse: Int64 {
        let pages = try? environment.read { txn in
            try databases.all.reduce(0) { total, database in total + (try txn.statistics(database)).pages }
        }
        guard let pages, let info = try? environment.info() else { return 0 }
        return Int64(pages) * Int64(info.pageSize)
    }
}
