// Which requests are cheap and bounded enough to run on the thread that read them: commands
// that touch no storage, and finds of one document by `_id`. Everything else (scans, writes,
// anything that can wait) runs on the server's thread pool. The Server asks; only Commands
// knows what a command does.

import BSON

extension CommandDispatcher {
    /// True when `request` does a small, bounded amount of work and never waits: the server
    /// may run it on the event loop that read it, saving two thread hand-offs per request.
    ///
    /// That is: handshake and diagnostic commands that read no collection, and a `find` whose
    /// filter is a single `_id` equality on a plain value (a point read through the `_id`
    /// index), outside transactions, without `hint`, tailable cursors or a read concern.
    public func isQuick(_ request: CommandRequest) -> Bool {
        // An active failCommand may block or close: run everything on the pool meanwhile.
        if server.testCommandsEnabled, server.failPoints.failCommandIsActive { return false }
        return Self.isQuick(request.body)
    }

    /// ``isQuick(_:)`` on a command document.
    static func isQuick(_ body: BSONDocument) -> Bool {
        guard let name = body.first?.key else { return false }
        if quickWithoutStorage.contains(name) { return true }
        guard name == "find", case let .document(filter)? = body["filter"], filter.count == 1,
              let id = filter["_id"], isPlainEquality(id)
        else { return false }
        for option in ["hint", "tailable", "awaitData", "txnNumber", "readConcern", "startTransaction", "autocommit"]
        where body[option] != nil {
            return false
        }
        return true
    }

    /// Commands that answer from memory and never block.
    private static let quickWithoutStorage: Set<String> = [
        "hello", "isMaster", "ismaster", "ping", "buildInfo", "buildinfo", "whatsmyuri", "getCmdLineOpts",
        "hostInfo", "connectionStatus",
        // Never waits, and must run while fsync-locked writes hold every pool thread.
        "fsyncUnlock",
    ]

    /// A value that `{_id: value}` matches by equality alone: not an operator document, a
    /// regular expression (a pattern match) or an array (which would also match elements).
    private static func isPlainEquality(_ value: BSONValue) -> Bool {
        switch value {
        case let .document(document): !document.contains { $0.key.hasPrefix("$") }
        case .regex, .array: false
        default: true
        }
    }
}
