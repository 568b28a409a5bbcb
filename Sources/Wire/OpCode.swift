// The opcodes of MongoDB's wire protocol: the ones Tessera speaks (OP_MSG, OP_COMPRESSED,
// the legacy OP_QUERY/OP_REPLY handshake) and the removed legacy ones it only recognises.

/// A message's operation code, the fourth field of its header.
public enum OpCode: Int32, Sendable, CaseIterable {
    /// A reply to OP_QUERY (server to client only).
    case reply = 1
    /// Removed legacy update.
    case update = 2001
    /// Removed legacy insert.
    case insert = 2002
    /// Legacy query; only `db.$cmd` handshake commands are still accepted.
    case query = 2004
    /// Removed legacy getMore.
    case getMore = 2005
    /// Removed legacy delete.
    case delete = 2006
    /// Removed legacy killCursors.
    case killCursors = 2007
    /// A compressed wrapper around another message.
    case compressed = 2012
    /// The extensible message every current driver uses.
    case msg = 2013

    /// MongoDB's name for the opcode, for logs and error messages.
    public var name: String {
        switch self {
        case .reply: "OP_REPLY"
        case .update: "OP_UPDATE"
        case .insert: "OP_INSERT"
        case .query: "OP_QUERY"
        case .getMore: "OP_GET_MORE"
        case .delete: "OP_DELETE"
        case .killCursors: "OP_KILL_CURSORS"
        case .compressed: "OP_COMPRESSED"
        case .msg: "OP_MSG"
        }
    }
}
