// Temporary collections: the scratch collections `$out` fills before swapping them over
// their target (MongoDB's `tmp.agg_out.<id>`). Owns their name prefix and their removal when
// the store opens, since a crash can leave one behind.

import BSON

extension DocumentStore {
    /// The collection-name prefix of temporary collections; any left when the store opens
    /// are dropped.
    public static let temporaryCollectionPrefix = "tmp.agg_out."

    /// Drops the temporary collections a crash left behind; returns their namespaces.
    /// A failure leaves the rest for the next open.
    @discardableResult
    func dropLeftoverTemporaryCollections() -> [Namespace] {
        let leftovers = catalog.withState { state in
            state.collections.keys.filter { $0.collection.hasPrefix(Self.temporaryCollectionPrefix) }
        }
        var dropped: [Namespace] = []
        for namespace in leftovers {
            do {
                try dropCollection(namespace)
                dropped.append(namespace)
            } catch {
                continue
            }
        }
        return dropped
    }
}
