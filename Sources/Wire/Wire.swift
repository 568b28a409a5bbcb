// Wire: MongoDB's wire protocol messages and their encode/decode. Placeholder until the
// message types land.

/// The largest message a peer may send: MongoDB's `maxMessageSizeBytes`.
public let maximumMessageSize = 48_000_000
