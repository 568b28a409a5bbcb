// Where the regions of one record body start and end: fixed slots, offset table, variable
// data. Built from the body's slot counts and layout byte, checked against the bytes once.

/// The region boundaries of one record body (a document's or an array's).
///
/// A body is `[layout byte] fixed-slots offset-table variable-data`. The table has one entry
/// per variable slot: its end offset relative to the data start. Slot `j` spans from the end
/// of slot `j-1` (or the data start) to its own end. The last entry must reach the body's end
/// exactly, so a truncated or overlong record is always detected.
struct BodyGeometry: Sendable {
    let fixedStart: Int
    let int32Width: Int
    let int64Width: Int
    let tableStart: Int
    let tableWidth: Int
    let variableCount: Int
    let dataStart: Int
    let end: Int

    /// Reads the layout byte (if `counts` calls for one) at `start` and checks that the fixed
    /// region and the offset table fit before `end`.
    init(_ raw: UnsafeRawBufferPointer, start: Int, end: Int, counts: BodyCounts) throws(RecordError) {
        var position = start
        var widths = LayoutByte.zero
        if counts.needsLayoutByte {
            guard position < end else { throw .truncated(offset: position, needed: 1) }
            widths = try LayoutByte(raw[position], offset: position)
            position += 1
        }
        fixedStart = position
        int32Width = widths.int32Width
        int64Width = widths.int64Width
        tableWidth = widths.tableWidth
        variableCount = counts.variableCount
        let fixedSize = counts.fixedBytes + counts.int32Count * widths.int32Width + counts.int64Count * widths.int64Width
        tableStart = fixedStart + fixedSize
        dataStart = tableStart + counts.variableCount * widths.tableWidth
        guard dataStart <= end else { throw .truncated(offset: end, needed: dataStart - end) }
        self.end = end
        let dataEnd = counts.variableCount == 0 ? dataStart : dataStart + entry(counts.variableCount - 1, raw)
        if dataEnd > end { throw .truncated(offset: end, needed: dataEnd - end) }
        if dataEnd < end { throw .trailingBytes(offset: dataEnd) }
    }

    /// The offset of a fixed-region slot placed at `placement`.
    @inline(__always)
    func fixedOffset(_ placement: SlotPlacement) -> Int {
        fixedStart + Int(placement.fixedBytesBefore) + Int(placement.int32Before) * int32Width
            + Int(placement.int64Before) * int64Width
    }

    /// The byte range of variable slot `index`, checked against its neighbours' bounds.
    @inline(__always)
    func variableSpan(_ index: Int, in raw: UnsafeRawBufferPointer) throws(RecordError) -> Range<Int> {
        let lower = index == 0 ? dataStart : dataStart + entry(index - 1, raw)
        let upper = dataStart + entry(index, raw)
        guard lower <= upper, upper <= end else {
            throw .invalidLayout(offset: tableStart, reason: "offset table entry \(index) out of order or past the end")
        }
        return lower..<upper
    }

    @inline(__always)
    private func entry(_ index: Int, _ raw: UnsafeRawBufferPointer) -> Int {
        Int(RecordBytes.loadUnsigned(raw, at: tableStart + index * tableWidth, width: tableWidth))
    }
}
