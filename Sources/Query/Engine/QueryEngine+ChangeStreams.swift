// QueryEngine's change streams: opening a stream over the change log. The stream itself
// (reading, event building, resume tokens, waiting) lives in Sources/Query/ChangeStreams.

public import BSON

extension QueryEngine {
    /// Opens the change stream `spec` describes, positioned where its start says.
    ///
    /// - Throws: `ChangeStreamHistoryLost` (286) when the change log no longer holds the
    ///   entries right after a resume point.
    public func watch(_ spec: ChangeStreamSpec) throws(MongoError) -> ChangeStream {
        try ChangeStream(spec: spec, engine: self)
    }
}
