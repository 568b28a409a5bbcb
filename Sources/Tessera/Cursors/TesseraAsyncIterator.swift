// TesseraAsyncIterator: the iterator `for try await` uses over a TesseraCursor or a
// ChangeStream — a thin forwarder to the sequence's own `next()`, which keeps the state, so
// the iterator can be copied freely.

/// The iterator of a ``TesseraCursor`` or a ``ChangeStream``: each call asks the sequence
/// itself for its next element.
public struct TesseraAsyncIterator<Element: Sendable>: AsyncIteratorProtocol, Sendable {
    private let nextElement: @Sendable () async throws(TesseraError) -> Element?

    init(_ nextElement: @escaping @Sendable () async throws(TesseraError) -> Element?) {
        self.nextElement = nextElement
    }

    /// The sequence's next element; nil at its end.
    public mutating func next() async throws(TesseraError) -> Element? {
        try await nextElement()
    }

    /// The sequence's next element (the isolation is not needed: the sequences are Sendable).
    public mutating func next(isolation actor: isolated (any Actor)?) async throws(TesseraError) -> Element? {
        try await nextElement()
    }
}
