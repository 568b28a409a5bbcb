// The one byte at the front of a record body that has integer slots or an offset table: the
// body's 32-bit integer width, 64-bit integer width, and offset-table entry width.

/// The widths a record body chose, packed into one byte:
/// bits 0–2 the 32-bit integer width (0–4), bits 3–5 the 64-bit integer width code (0–6 bytes,
/// 7 meaning 8), bits 6–7 the offset-table entry width minus one (1–4 bytes).
struct LayoutByte: Sendable, Equatable {
    /// Bytes per 32-bit integer slot (0 when every such value is 0).
    var int32Width: Int
    /// Bytes per 64-bit integer or datetime slot (0–6 or 8).
    var int64Width: Int
    /// Bytes per offset-table entry (1–4).
    var tableWidth: Int

    static let zero = LayoutByte(int32Width: 0, int64Width: 0, tableWidth: 1)

    init(int32Width: Int, int64Width: Int, tableWidth: Int) {
        self.int32Width = int32Width
        self.int64Width = int64Width
        self.tableWidth = tableWidth
    }

    /// Decodes the byte at `offset`.
    init(_ byte: UInt8, offset: Int) throws(RecordError) {
        let int32Width = Int(byte & 0x07)
        guard int32Width <= 4 else { throw .invalidLayout(offset: offset, reason: "32-bit width \(int32Width)") }
        let code = Int((byte >> 3) & 0x07)
        self.int32Width = int32Width
        int64Width = code == 7 ? 8 : code
        tableWidth = Int(byte >> 6) + 1
    }

    /// The byte.
    var encoded: UInt8 {
        let code = int64Width == 8 ? 7 : int64Width
        return UInt8(int32Width) | UInt8(code) << 3 | UInt8(tableWidth - 1) << 6
    }

    /// The width a 64-bit slot uses when its values need `needed` bytes (7 rounds up to 8).
    @inline(__always)
    static func int64Width(forNeeded needed: Int) -> Int { needed == 7 ? 8 : needed }
}
