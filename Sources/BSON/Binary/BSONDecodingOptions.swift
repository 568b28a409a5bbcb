// Limits applied while decoding untrusted BSON bytes.

/// Limits the decoder enforces on untrusted input.
public struct BSONDecodingOptions: Sendable, Hashable {
    /// The deepest nesting of documents, arrays and scopes accepted; the top-level document
    /// is depth 1. MongoDB accepts up to 200 levels on the wire (and stores up to 100).
    public var maxDepth: Int
    /// The largest top-level document accepted, in bytes.
    public var maxDocumentSize: Int

    /// Options with explicit limits.
    public init(maxDepth: Int = 200, maxDocumentSize: Int = Int(Int32.max)) {
        self.maxDepth = maxDepth
        self.maxDocumentSize = maxDocumentSize
    }

    /// The defaults: depth 200, any size a BSON length prefix can state.
    public static let `default` = BSONDecodingOptions()
}
