// Transaction+Multikey: the multikey names (key field paths, wildcard array paths) that a
// transaction's buffered documents show before the catalog records them at commit. Reads in
// the transaction plan with them, so no index scan intersects bounds on a path that only the
// transaction's own documents made multikey.

internal import BSON

extension Transaction {
    /// Records that a buffered document of `namespace` showed `names` in index `index`.
    func noteMultikey(_ names: Set<String>, index: String, in namespace: Namespace) {
        buffer.withLock { $0.multikey[namespace, default: [:]][index, default: []].formUnion(names) }
    }

    /// `collection`'s description with the multikey names this transaction's documents showed.
    func withBufferedMultikey(_ collection: Catalog.OpenCollection, namespace: Namespace) -> CollectionDescription {
        var description = collection.description
        guard let noted = buffer.withLock({ $0.multikey[namespace] }) else { return description }
        for (name, names) in noted {
            guard let slot = description.indexes.firstIndex(where: { $0.name == name }),
                  let open = collection.indexes.first(where: { $0.name == name })
            else { continue }
            let known = Set(description.indexes[slot].multikeyFields)
            description.indexes[slot].multikeyFields = open.spec.multikeyFields(known.union(names))
        }
        return description
    }
}
