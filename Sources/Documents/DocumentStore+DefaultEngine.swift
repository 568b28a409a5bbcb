// DocumentStore+DefaultEngine: opening a store by path, which means the default engine,
// RocksDB. The one place the Documents layer names a RocksDB type; it also owns the data
// directory check (StoreDirectory) that refuses anything not a Tessera store.

internal import Storage

extension DocumentStore {
    /// Opens the store in the data directory `path` with the default engine (RocksDB,
    /// configured by `options.storage`), creating it if the directory is missing or empty.
    ///
    /// - Throws: `StoreOpenError.notATesseraStore` for a non-empty directory without a Tessera
    ///   marker (another RocksDB database included) and `.newerFormat` for a store written by
    ///   a newer format; in both cases nothing on disk is changed.
    /// A `postgresql://` URI in place of `path` opens the PostgreSQL engine instead
    /// (`init(postgres:options:)`).
    public convenience init(path: String, options: DocumentStoreOptions = DocumentStoreOptions()) throws(StoreOpenError) {
        if Self.isPostgresURI(path) {
            try self.init(postgres: path, options: options)
            return
        }
        switch try StoreDirectory.inspect(path) {
        case .absent:
            try StoreDirectory.create(path, formatVersion: Self.formatVersion)
        case let .store(formatVersion):
            guard formatVersion <= Self.formatVersion else {
                throw .newerFormat(path: path, found: formatVersion, supported: Self.formatVersion)
            }
        }
        var storageOptions = options.storage
        storageOptions.createIfMissing = true
        storageOptions.errorIfExists = false
        // Every insert reads its `_id` first, almost always a key no memtable holds: a filter
        // in the collections' memtables answers that without searching them.
        storageOptions.memtableKeyFiltersByPrefix[CatalogKey.collectionKeySpacePrefix] =
            storageOptions.memtableKeyFiltersByPrefix[CatalogKey.collectionKeySpacePrefix] ?? 0.004
        try self.init(storage: RocksDBConfiguration(path: path, options: storageOptions), options: options)
    }
}
