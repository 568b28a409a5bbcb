// DocumentValidator: a collection's schema validation — its `validator` (query operators and
// `$jsonSchema`), `validationLevel` (off, strict, moderate) and `validationAction` (error,
// warn) read from the collection's stored options, and the check every insert and update
// runs: a refused document fails with DocumentValidationFailure (121) and MongoDB's errInfo.
// The option checks create and collMod share live here too.

public import BSON
import Documents

extension MongoError.Code {
    /// 121: a written document does not satisfy the collection's validator.
    public static let documentValidationFailure = MongoError.Code(121, "DocumentValidationFailure")
}

/// The validation a collection's options ask for, compiled.
public struct DocumentValidator: Sendable {
    /// `validationLevel`: which writes are checked.
    public enum Level: String, Sendable, CaseIterable {
        /// None.
        case off
        /// Every insert and update.
        case strict
        /// Inserts, and updates of documents that were valid before.
        case moderate
    }

    /// `validationAction`: what a failure does.
    public enum Action: String, Sendable, CaseIterable {
        /// The write fails with 121.
        case error
        /// The write goes ahead (mongod logs a warning).
        case warn
    }

    /// The compiled validator.
    let filter: Filter
    /// Which writes are checked.
    public let level: Level
    /// What a failure does.
    public let action: Action
    /// Where a failure under `warn` is reported (the collection's store and namespace; set
    /// by the write guard), `nil`: nowhere.
    var warningTarget: (store: DocumentStore, namespace: Namespace)?

    /// The validation `options` (a collection's stored options) ask for; `nil` when there
    /// is none (no validator, an empty one, or level `off`).
    ///
    /// - Throws: the validator's parse error (stored options were checked when set, so only
    ///   a store written by another build can fail here).
    public init?(options: BSONDocument) throws(MongoError) {
        guard case .document(let spec)? = options["validator"], !spec.isEmpty else { return nil }
        let level = options["validationLevel"]?.stringValue.flatMap(Level.init(rawValue:)) ?? .strict
        guard level != .off else { return nil }
        filter = try Filter(spec)
        self.level = level
        action = options["validationAction"]?.stringValue.flatMap(Action.init(rawValue:)) ?? .error
    }

    /// Checks a document an insert writes (`before` nil) or an update leaves (`before` the
    /// version it replaces). Under `moderate`, an update of a document that was already
    /// invalid is not checked.
    ///
    /// - Throws: `DocumentValidationFailure` (121) with `errInfo: {failingDocumentId,
    ///   details}` when the document fails and the action is `error`.
    public func check(_ document: BSONDocument, before: BSONDocument? = nil) throws(MongoError) {
        if level == .moderate, let before, !filter.matches(before) { return }
        guard !filter.matches(document) else { return }
        guard action == .error else {
            if let warningTarget {
                ValidationWarnings.report(store: warningTarget.store, namespace: warningTarget.namespace, document: document,
                                          errInfo: Self.errorInfo(document, validator: filter.spec))
            }
            return
        }
        throw Self.failure(document, validator: filter.spec)
    }

    /// The 121 error for `document` failing `validator`.
    static func failure(_ document: BSONDocument, validator: BSONDocument) -> MongoError {
        MongoError(.documentValidationFailure, "Document failed validation",
                   details: ["errInfo": .document(errorInfo(document, validator: validator))])
    }

    /// The `errInfo` of `document` failing `validator`: `{failingDocumentId, details}`.
    private static func errorInfo(_ document: BSONDocument, validator: BSONDocument) -> BSONDocument {
        let details = ValidationErrorDetails(document: document).details(for: validator)
        return ["failingDocumentId": document["_id"] ?? .null, "details": .document(details)]
    }

    // MARK: Option checks (create, collMod)

    /// Checks a `validator` option: a document MongoDB's parser accepts, without the
    /// operators validators may not use.
    ///
    /// - Throws: `TypeMismatch` (14) for a non-document; `BadValue` (2) for `$near`,
    ///   `$nearSphere`, `$geoNear`, `$text`, `$where`; the parser's errors.
    public static func checkValidator(_ value: BSONValue, command: String) throws(MongoError) {
        guard case .document(let spec) = value else {
            throw MongoError(.typeMismatch,
                             "BSON field '\(command).validator' is the wrong type '\(value.type.alias)', expected type 'object'")
        }
        try refuseRestrictedOperators(in: .document(spec))
        _ = try Filter(spec)
    }

    private static func refuseRestrictedOperators(in value: BSONValue) throws(MongoError) {
        switch value {
        case .document(let document):
            for (key, child) in document.elements {
                switch key {
                case "$near", "$nearSphere", "$geoNear":
                    throw MongoError(.badValue, "$geoNear, $near, and $nearSphere are not allowed in this context")
                case "$text", "$where":
                    throw MongoError(.badValue, "\(key) is not allowed in this context")
                case "$expr", "$jsonSchema":
                    continue
                default:
                    try refuseRestrictedOperators(in: child)
                }
            }
        case .array(let elements):
            for element in elements { try refuseRestrictedOperators(in: element) }
        default:
            break
        }
    }

    /// Checks a `validationLevel` option.
    ///
    /// - Throws: `TypeMismatch` (14) for a non-string, `BadValue` (2) for an unknown level.
    public static func checkLevel(_ value: BSONValue, command: String) throws(MongoError) {
        try checkEnumeration(value, field: "validationLevel", command: command, allowed: Level.allCases.map(\.rawValue))
    }

    /// Checks a `validationAction` option.
    ///
    /// - Throws: `TypeMismatch` (14) for a non-string, `BadValue` (2) for an unknown action.
    public static func checkAction(_ value: BSONValue, command: String) throws(MongoError) {
        try checkEnumeration(value, field: "validationAction", command: command, allowed: Action.allCases.map(\.rawValue))
    }

    private static func checkEnumeration(_ value: BSONValue, field: String, command: String, allowed: [String]) throws(MongoError) {
        guard case .string(let text) = value else {
            throw MongoError(.typeMismatch,
                             "BSON field '\(command).\(field)' is the wrong type '\(value.type.alias)', expected type 'string'")
        }
        guard allowed.contains(text) else {
            throw MongoError(.badValue, "Enumeration value '\(text)' for field '\(command).\(field)' is not a valid value.")
        }
    }
}
