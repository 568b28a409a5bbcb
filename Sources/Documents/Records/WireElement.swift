// The bounds of one element of a BSON document in wire bytes, found by one walk so the
// encoder's passes over the element need not walk the bytes again.

/// One element of a wire BSON document: type byte, key bytes and value bytes.
struct WireElement: Sendable {
    let type: UInt8
    let keyStart: Int
    let keyEnd: Int
    let valueStart: Int
    let valueEnd: Int
}
