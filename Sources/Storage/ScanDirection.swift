// ScanDirection: which way a range scan walks its keys.
// A plain value shared by every backend; it never touches an iterator itself.

/// The order in which a scan visits keys.
public enum ScanDirection: Sendable, Hashable {
    /// Ascending byte order, from the lower bound up.
    case forward
    /// Descending byte order, from the upper bound down.
    case reverse
}
