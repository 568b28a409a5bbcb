// The size limits MongoDB's wire protocol enforces, in one place: the largest message a peer
// may send and the largest document a message may carry.

/// The largest message a peer may send: MongoDB's `maxMessageSizeBytes`.
public let maximumMessageSize = 48_000_000

/// The largest user document a message may carry: MongoDB's `maxBsonObjectSize` (16 MiB).
public let maximumDocumentSize = 16 * 1024 * 1024

/// The largest command body an OP_MSG may carry: 16 MiB plus MongoDB's 16 KiB allowance for
/// the command's own fields around a maximum-size document (`BSONObjMaxInternalSize`).
public let maximumCommandBodySize = maximumDocumentSize + 16 * 1024

/// The largest length prefix the server still treats as a real (if oversized) message whose
/// bytes it reads past to stay in step with the client. Anything longer is taken as garbage
/// (for example an HTTP request, whose "GET " reads as 542 MB) and the connection is closed.
public let maximumDiscardableMessageSize = 4 * maximumMessageSize
