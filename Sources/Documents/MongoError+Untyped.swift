// MongoError from an untyped error: what a storage callback (a scan body, a closure that may
// throw either kind) threw, as users meet it.

internal import BSON
internal import Storage

extension MongoError {
    /// A `MongoError` as it is, a `StorageError` as ``storage(_:)``, anything else as an
    /// `InternalError`.
    static func from(_ error: any Error) -> MongoError {
        switch error {
        case let error as MongoError: error
        case let error as StorageError: .storage(error)
        default: MongoError(.internalError, "\(error)")
        }
    }
}
