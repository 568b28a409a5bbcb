// ValidationWarnings: where a write that fails its collection's validator under
// `validationAction: "warn"` is reported. The write goes ahead; the server that owns the
// store installs a handler (mongod logs warning 20294 "Document would fail validation").
// Handlers are per store, so two engines in one process do not hear each other.

public import BSON
import Documents
import Synchronization

/// The handlers of validation warnings, by store.
public enum ValidationWarnings {
    /// Receives one warning: the namespace, the document written and the `errInfo`
    /// (`{failingDocumentId, details}`) the write would have failed with under `error`.
    public typealias Handler = @Sendable (_ namespace: Namespace, _ document: BSONDocument, _ errInfo: BSONDocument) -> Void

    private static let handlers = Mutex<[ObjectIdentifier: Handler]>([:])

    /// Installs `handler` for writes to `store` (replacing any other; `nil` removes it).
    static func install(_ handler: Handler?, for store: DocumentStore) {
        handlers.withLock { $0[ObjectIdentifier(store)] = handler }
    }

    /// Reports a document that fails validation but is written (no handler: nothing).
    static func report(store: DocumentStore, namespace: Namespace, document: BSONDocument, errInfo: BSONDocument) {
        guard let handler = handlers.withLock({ $0[ObjectIdentifier(store)] }) else { return }
        handler(namespace, document, errInfo)
    }
}

extension QueryEngine {
    /// Calls `handler` for every write to this engine's store that fails its collection's
    /// validator and goes ahead because the collection's `validationAction` is `warn`.
    public func onValidationWarning(_ handler: @escaping ValidationWarnings.Handler) {
        ValidationWarnings.install(handler, for: store)
    }
}
