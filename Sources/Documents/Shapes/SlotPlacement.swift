// Where one slot of a shape sits in a record body, as counts of what precedes it; the record's
// integer widths turn the counts into a byte offset with one multiply-add each.

/// The precomputed position of one slot within a shape's record body.
///
/// A fixed-region slot starts at
/// `fixedStart + fixedBytesBefore + int32Before × int32Width + int64Before × int64Width`;
/// a variable slot is entry `variableIndex` of the offset table.
struct SlotPlacement: Sendable {
    /// Bytes of fixed-width (non-integer) slots before this slot.
    var fixedBytesBefore: Int32
    /// 32-bit integer slots before this slot.
    var int32Before: Int32
    /// 64-bit integer and datetime slots before this slot.
    var int64Before: Int32
    /// This slot's index among the variable slots (meaningful for variable kinds only).
    var variableIndex: Int32
}
