// MergeOperatorBridge: turns a Swift `MergeOperator` into RocksDB's `rocksdb_mergeoperator_t`.
// Owns the retained Swift box behind the C `state` pointer (released by RocksDB's destructor
// callback, exactly once) and the malloc'd results (freed by the delete_value callback).
internal import CRocksDB

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The object behind a merge operator's `state` pointer: the Swift operator plus its name
/// as a C string that must live as long as RocksDB may ask for it.
final class MergeOperatorBox {
    let mergeOperator: any MergeOperator
    let cName: UnsafeMutablePointer<CChar>

    init?(_ mergeOperator: any MergeOperator) {
        guard let cName = strdup(mergeOperator.name) else { return nil }
        self.mergeOperator = mergeOperator
        self.cName = cName
    }

    deinit {
        free(cName)
    }
}

/// Builds RocksDB merge operators from Swift ones.
enum MergeOperatorBridge {
    /// Creates a `rocksdb_mergeoperator_t` that calls `mergeOperator`.
    ///
    /// Ownership: the returned pointer must be handed to `rocksdb_options_set_merge_operator`
    /// straight away, which wraps it in a `shared_ptr`; RocksDB then destroys it, calling
    /// our destructor callback, which releases the box retained here. If it is not handed
    /// over, the caller must call `rocksdb_mergeoperator_destroy` instead.
    static func make(_ mergeOperator: any MergeOperator) -> OpaquePointer? {
        guard let box = MergeOperatorBox(mergeOperator) else { return nil }
        let state = Unmanaged.passRetained(box).toOpaque()
        let created = rocksdb_mergeoperator_create(
            state,
            { state in
                guard let state else { return }
                Unmanaged<MergeOperatorBox>.fromOpaque(state).release()
            },
            { state, key, keyLength, existing, existingLength, operands, operandLengths, count, success, newLength in
                guard let state else { return MergeOperatorBridge.export(nil, success, newLength) }
                let box = Unmanaged<MergeOperatorBox>.fromOpaque(state).takeUnretainedValue()
                let result = box.mergeOperator.fullMerge(
                    key: CBytes.view(key, count: keyLength),
                    existingValue: existing.map { CBytes.view($0, count: existingLength) },
                    operands: MergeOperands(pointers: operands, lengths: operandLengths, count: Int(count))
                )
                return MergeOperatorBridge.export(result, success, newLength)
            },
            { state, key, keyLength, operands, operandLengths, count, success, newLength in
                guard let state else { return MergeOperatorBridge.export(nil, success, newLength) }
                let box = Unmanaged<MergeOperatorBox>.fromOpaque(state).takeUnretainedValue()
                let result = box.mergeOperator.partialMerge(
                    key: CBytes.view(key, count: keyLength),
                    operands: MergeOperands(pointers: operands, lengths: operandLengths, count: Int(count))
                )
                return MergeOperatorBridge.export(result, success, newLength)
            },
            { _, value, _ in
                free(UnsafeMutableRawPointer(mutating: value))
            },
            { state in
                guard let state else { return nil }
                return UnsafePointer(Unmanaged<MergeOperatorBox>.fromOpaque(state).takeUnretainedValue().cName)
            }
        )
        if created == nil {
            Unmanaged<MergeOperatorBox>.fromOpaque(state).release()
        }
        return created
    }

    /// Copies a merge result into a malloc'd buffer for RocksDB (freed by the delete_value
    /// callback) and sets the success flag. Never returns NULL when allocation succeeds:
    /// RocksDB copies from the pointer even on failure, so failure is length 0 plus
    /// `success = 0`.
    static func export(
        _ result: [UInt8]?,
        _ success: UnsafeMutablePointer<UInt8>?,
        _ length: UnsafeMutablePointer<Int>?
    ) -> UnsafeMutablePointer<CChar>? {
        let count = result?.count ?? 0
        guard let buffer = malloc(max(count, 1)) else {
            success?.pointee = 0
            length?.pointee = 0
            return nil
        }
        if let result {
            result.withUnsafeBytes { source in
                if let address = source.baseAddress, source.count > 0 {
                    buffer.copyMemory(from: address, byteCount: source.count)
                }
            }
        }
        success?.pointee = result == nil ? 0 : 1
        length?.pointee = count
        return buffer.assumingMemoryBound(to: CChar.self)
    }
}
