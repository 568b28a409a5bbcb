// ChangeLogRetention: how much change history the store keeps — by entry count, by bytes,
// by age — and how often it trims. Plain configuration; ChangeLog applies it.

/// Limits on the change log's history. The newest entry is always kept (it carries the
/// sequence number across restarts); anything older that breaks any limit is trimmed.
public struct ChangeLogRetention: Sendable, Equatable {
    /// Keep at most this many entries; `nil` for no count limit.
    public var maximumEntries: Int?
    /// Keep at most about this many bytes of keys and values; `nil` for no size limit.
    /// Default 1 GiB.
    public var maximumBytes: Int?
    /// Drop entries older than this; `nil` for no age limit.
    public var maximumAge: Duration?
    /// Trim automatically after this many committed entries; `nil` trims only when
    /// `ChangeLog.trim(now:)` is called. Default 4096.
    public var trimInterval: Int?

    /// Retention with the defaults above.
    public init(
        maximumEntries: Int? = nil, maximumBytes: Int? = 1 << 30, maximumAge: Duration? = nil, trimInterval: Int? = 4096
    ) {
        self.maximumEntries = maximumEntries
        self.maximumBytes = maximumBytes
        self.maximumAge = maximumAge
        self.trimInterval = trimInterval
    }

    /// Keep everything; never trim.
    public static let unlimited = ChangeLogRetention(maximumEntries: nil, maximumBytes: nil, maximumAge: nil, trimInterval: nil)
}
