// QueryEngine's views: looking them up, resolving them to their base collection, and the
// view DDL (create, collMod's viewOn/pipeline, drop). Definitions live in each database's
// `system.views` (ViewCatalog); reads through a view are ViewQuery.

public import BSON
import Documents

extension QueryEngine {
    /// The view at `namespace`; nil when it is a collection or does not exist.
    public func view(_ namespace: Namespace) throws(MongoError) -> ViewDefinition? {
        try ViewCatalog(store: store).definition(of: namespace)
    }

    /// The views of `database`, in name order.
    public func views(in database: String) throws(MongoError) -> [ViewDefinition] {
        try ViewCatalog(store: store).definitions(in: database)
    }

    /// `namespace` resolved to the collection under its views; nil when it is not a view.
    ///
    /// - Throws: `ViewDepthLimitExceeded` (165).
    public func resolveView(_ namespace: Namespace) throws(MongoError) -> ResolvedView? {
        try ViewCatalog(store: store).resolve(namespace)
    }

    /// Creates the view `definition`.
    ///
    /// - Throws: `NamespaceExists` (48); `OptionNotSupportedOnView` (167) for a writing
    ///   stage; the pipeline's parse errors; `GraphContainsCycle` (93);
    ///   `ViewDepthLimitExceeded` (165).
    public func createView(_ definition: ViewDefinition) throws(MongoError) {
        try ViewCatalog(store: store).create(definition)
        // What change streams with showExpandedEvents report as the view's create event.
        var description = definition.document
        description["_id"] = nil
        try store.recordChange(.create, on: definition.namespace, document: description)
    }

    /// Changes the collection and/or pipeline of the view at `namespace` (collMod).
    ///
    /// - Throws: `NamespaceNotFound` (26) when it is not a view; the checks of
    ///   ``createView(_:)``.
    public func modifyView(_ namespace: Namespace, viewOn: String?, pipeline: [BSONDocument]?) throws(MongoError) {
        let catalog = ViewCatalog(store: store)
        guard let current = try catalog.definition(of: namespace) else {
            throw MongoError(.namespaceNotFound, "ns does not exist")
        }
        let target = try viewOn.map { (name) throws(MongoError) -> Namespace in
            try Namespace(database: namespace.database, collection: name)
        } ?? current.viewOn
        try catalog.replace(ViewDefinition(namespace: namespace, viewOn: target, pipeline: pipeline ?? current.pipeline,
                                           collation: current.collation))
    }

    /// A view's `collation` option resolved as it is stored; `nil` for the simple collation.
    ///
    /// - Throws: `TypeMismatch` (14) for a non-document; the collation's own errors.
    public static func viewCollation(_ value: BSONValue) throws(MongoError) -> BSONDocument? {
        try resolvedCollation(value, field: "create.collation")?.documentValue
    }

    /// Drops the view at `namespace`; returns whether there was one.
    @discardableResult
    public func dropView(_ namespace: Namespace) throws(MongoError) -> Bool {
        try ViewCatalog(store: store).drop(namespace)
    }
}
