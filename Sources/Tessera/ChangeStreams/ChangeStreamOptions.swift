// The options of a change stream and its resume token, named and shaped as MongoSwift's:
// where the stream starts (now, after a token, at a cluster time), which images its events
// carry, expanded DDL events, and how many events it reads at a time.

import Query

/// A position in the store's change history, as events carry it (`_id`) and streams report
/// it (``ChangeStream/resumeToken``): open a new stream with
/// ``ChangeStreamOptions/resumeAfter`` to continue after it, even in a later process.
public struct ResumeToken: Sendable, Hashable, Codable {
    /// The token as MongoDB represents it: `{_data: "<hex>"}`.
    public let data: BSONDocument

    /// A token from its document form (as saved by an application).
    public init(_ data: BSONDocument) {
        self.data = data
    }

    /// Decodes the token from its document form.
    public init(from decoder: any Decoder) throws {
        data = try BSONDocument(from: decoder)
    }

    /// Encodes the token as its document form.
    public func encode(to encoder: any Encoder) throws {
        try data.encode(to: encoder)
    }

    /// The engine's position.
    ///
    /// - Throws: `InvalidResumeToken` (260) for a token this store did not produce.
    func position() throws(TesseraError) -> Query.ResumeToken {
        do throws(MongoError) {
            return try Query.ResumeToken(.document(data))
        } catch {
            throw TesseraError(error)
        }
    }
}

/// How update events' `fullDocument` is filled in.
public enum FullDocument: String, Sendable, Equatable {
    /// Only inserts and replacements carry the document.
    case `default`
    /// Updates carry the document as it is when the event is read.
    case updateLookup
    /// Updates carry the document after the change when the collection records images
    /// (``CreateCollectionOptions/changeStreamPreAndPostImages``), else null.
    case whenAvailable
    /// As `whenAvailable`, but the stream fails without the image.
    case required
}

/// Whether events carry the document before the change (`fullDocumentBeforeChange`), for
/// collections that record images.
public enum FullDocumentBeforeChange: String, Sendable, Equatable {
    /// No pre-image (the default).
    case off
    /// The pre-image when recorded, else null.
    case whenAvailable
    /// The pre-image, or the stream fails.
    case required
}

/// Options of a change stream.
public struct ChangeStreamOptions: Sendable {
    /// How many events the stream reads at a time (default 1,000).
    public var batchSize: Int?
    /// How update events' `fullDocument` is filled in.
    public var fullDocument: FullDocument?
    /// Whether events carry the document before the change.
    public var fullDocumentBeforeChange: FullDocumentBeforeChange?
    /// Continue after the event with this token (not after an `invalidate`; use
    /// `startAfter` for that).
    public var resumeAfter: ResumeToken?
    /// Also report DDL: `create`, `createIndexes`, `dropIndexes`, `modify`.
    public var showExpandedEvents: Bool?
    /// Start after the event with this token, which may be an `invalidate`.
    public var startAfter: ResumeToken?
    /// Start at this cluster time (an event's `clusterTime`), inclusive.
    public var startAtOperationTime: BSONTimestamp?

    /// Options; nil fields take the defaults (start now, documents of inserts and
    /// replacements only).
    public init(batchSize: Int? = nil, fullDocument: FullDocument? = nil,
                fullDocumentBeforeChange: FullDocumentBeforeChange? = nil, resumeAfter: ResumeToken? = nil,
                showExpandedEvents: Bool? = nil, startAfter: ResumeToken? = nil, startAtOperationTime: BSONTimestamp? = nil) {
        self.batchSize = batchSize
        self.fullDocument = fullDocument
        self.fullDocumentBeforeChange = fullDocumentBeforeChange
        self.resumeAfter = resumeAfter
        self.showExpandedEvents = showExpandedEvents
        self.startAfter = startAfter
        self.startAtOperationTime = startAtOperationTime
    }

    /// The engine's stream definition for `scope` followed by `stages`.
    ///
    /// - Throws: `BadValue` (2) for more than one start, `InvalidResumeToken` (260) for a
    ///   foreign token or `resumeAfter` an invalidate, and the stage checks' errors.
    func spec(scope: ChangeStreamSpec.Scope, stages: [BSONDocument]) throws(TesseraError) -> ChangeStreamSpec {
        let starts = [resumeAfter != nil, startAfter != nil, startAtOperationTime != nil].filter { $0 }.count
        guard starts <= 1 else {
            throw .badValue("Only one type of resume option is allowed: resumeAfter, startAfter or startAtOperationTime")
        }
        var start = ChangeStreamSpec.Start.now
        if let resumeAfter {
            let position = try resumeAfter.position()
            if position.isInvalidate {
                throw TesseraError(code: 260, codeName: "InvalidResumeToken",
                                   message: "cannot resume a stream after an invalidate; use startAfter")
            }
            start = .after(position)
        } else if let startAfter {
            start = .after(try startAfter.position())
        } else if let startAtOperationTime {
            start = .at(startAtOperationTime)
        }
        do throws(MongoError) {
            return try ChangeStreamSpec(
                scope: scope, start: start, fullDocument: ImageMode(rawValue: (fullDocument ?? .default).rawValue) ?? .default,
                fullDocumentBeforeChange: ImageMode(rawValue: (fullDocumentBeforeChange ?? .off).rawValue) ?? .off,
                showExpandedEvents: showExpandedEvents ?? false, stages: stages)
        } catch {
            throw TesseraError(error)
        }
    }
}
