// Turns a Tessera document into a libbson "plan" (C arrays that LibBSONBaseline builds with
// bson_append_*), once, outside any measurement. Owns the plan's lifetime.

import BSON
import LibBSONBaseline

/// A document prepared for libbson's encoder; frees the C plan when released.
final class LibBSONPlan {
    let pointer: OpaquePointer

    /// Flattens `document` into a new plan.
    init(_ document: BSONDocument) {
        guard let pointer = lbb_plan_create() else { fatalError("lbb_plan_create failed") }
        self.pointer = pointer
        for (key, value) in document.elements {
            add(value, key: key)
        }
    }

    deinit { lbb_plan_destroy(pointer) }

    /// Builds the document with libbson and returns its bytes.
    func encodedBytes() -> [UInt8] {
        let size = lbb_plan_encode(pointer)
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = bytes.withUnsafeMutableBufferPointer { lbb_plan_encode_copy(pointer, $0.baseAddress, size) }
        precondition(copied == size, "libbson built a different size the second time")
        return bytes
    }

    /// Appends one value; `key` is nil inside arrays, where libbson makes index keys.
    private func add(_ value: BSONValue, key: String?) {
        switch value {
        case .double(let double): lbb_plan_double(pointer, key, double)
        case .string(let string):
            let utf8 = Array(string.utf8)
            lbb_plan_utf8(pointer, key, utf8, UInt32(utf8.count))
        case .document(let document):
            lbb_plan_begin_document(pointer, key)
            for (childKey, child) in document.elements { add(child, key: childKey) }
            lbb_plan_end(pointer)
        case .array(let values):
            lbb_plan_begin_array(pointer, key)
            for child in values { add(child, key: nil) }
            lbb_plan_end(pointer)
        case .binary(let binary):
            lbb_plan_binary(pointer, key, binary.subtype.rawValue, binary.bytes, UInt32(binary.bytes.count))
        case .objectId(let objectId): lbb_plan_oid(pointer, key, objectId.byteArray)
        case .bool(let bool): lbb_plan_bool(pointer, key, bool)
        case .datetime(let datetime): lbb_plan_datetime(pointer, key, datetime.millisecondsSinceEpoch)
        case .null: lbb_plan_null(pointer, key)
        case .int32(let int32): lbb_plan_int32(pointer, key, int32)
        case .int64(let int64): lbb_plan_int64(pointer, key, int64)
        default: fatalError("the benchmark fixtures use no \(value.type.alias) values")
        }
    }
}
