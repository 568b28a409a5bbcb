// ICUCollator: one opened ICU collator — opening it for a locale, setting and reading its
// options, and the two read operations Tessera needs: comparing two strings and producing a
// sort key. The only Swift file that calls into ICU (through CICU's plain C functions).

internal import CICU

/// An opened ICU collator, closed when the last reference goes.
///
/// `@unchecked Sendable`: the collator is configured only while it is being built (by
/// `Collator.make`, before it is shared), then used only through ICU's `const UCollator *`
/// functions (sort keys, comparison, reading options), which ICU documents as safe to call
/// from several threads at once.
final class ICUCollator: @unchecked Sendable {
    private let pointer: OpaquePointer

    /// An ICU failure, by ICU's name for it.
    struct Failure: Error {
        let name: String

        init(_ status: Int32) {
            name = String(cString: tessera_icu_error_name(status))
        }
    }

    /// The options a collator has (CICU's value sets: see TesseraCollatorOption).
    enum Option {
        case caseLevel, caseFirst, strength, numericOrdering, alternate, maxVariable, normalization, backwards

        var c: TesseraCollatorOption {
            switch self {
            case .caseLevel: TESSERA_COLLATOR_CASE_LEVEL
            case .caseFirst: TESSERA_COLLATOR_CASE_FIRST
            case .strength: TESSERA_COLLATOR_STRENGTH
            case .numericOrdering: TESSERA_COLLATOR_NUMERIC_ORDERING
            case .alternate: TESSERA_COLLATOR_ALTERNATE
            case .maxVariable: TESSERA_COLLATOR_MAX_VARIABLE
            case .normalization: TESSERA_COLLATOR_NORMALIZATION
            case .backwards: TESSERA_COLLATOR_BACKWARDS
            }
        }
    }

    /// Opens the collator of `locale` (already canonical).
    init(locale: String) throws(Failure) {
        var status: Int32 = 0
        guard let opened = tessera_collator_open(locale, &status), status <= 0 else { throw Failure(status) }
        pointer = opened
    }

    deinit {
        tessera_collator_close(pointer)
    }

    /// The ICU version MongoDB reports as a collation's `version`.
    static var version: String { String(cString: tessera_icu_version()) }

    /// ICU's canonical form of a locale ID (`icu::Locale::getName`), or `nil` when ICU cannot
    /// parse it (MongoDB's "bogus" locale).
    static func canonicalName(_ locale: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 160)
        var status: Int32 = 0
        let length = buffer.withUnsafeMutableBufferPointer { output in
            tessera_locale_canonical(locale, output.baseAddress, Int32(output.count), &status)
        }
        guard status <= 0, length >= 0, Int(length) < buffer.count else { return nil }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The locale whose rules the collator uses (`ULOC_VALID_LOCALE`).
    func validLocale() throws(Failure) -> String {
        var status: Int32 = 0
        guard let name = tessera_collator_valid_locale(pointer, &status), status <= 0 else { throw Failure(status) }
        return String(cString: name)
    }

    /// Sets an option.
    func set(_ option: Option, _ value: Int32) throws(Failure) {
        var status: Int32 = 0
        tessera_collator_set(pointer, option.c, value, &status)
        guard status <= 0 else { throw Failure(status) }
    }

    /// An option's current value.
    func get(_ option: Option) throws(Failure) -> Int32 {
        var status: Int32 = 0
        let value = tessera_collator_get(pointer, option.c, &status)
        guard status <= 0 else { throw Failure(status) }
        return value
    }

    /// ICU's order of two strings: -1, 0 or 1.
    func compare(_ lhs: String, _ rhs: String) -> Int {
        var (a, b) = (lhs, rhs)
        var status: Int32 = 0
        let result = a.withUTF8 { x in
            b.withUTF8 { y in
                x.withMemoryRebound(to: CChar.self) { x in
                    y.withMemoryRebound(to: CChar.self) { y in
                        tessera_collator_compare_utf8(pointer, x.baseAddress, Int32(clamping: x.count),
                                                      y.baseAddress, Int32(clamping: y.count), &status)
                    }
                }
            }
        }
        return Int(result)
    }

    /// The sort key of `text`: bytes whose order (memcmp) is the collator's order, without
    /// ICU's terminating zero byte. Sort keys hold no other zero byte.
    func sortKey(_ text: String) -> [UInt8] {
        let units = Array(text.utf16)
        let length = Int32(clamping: units.count)
        var key = [UInt8](repeating: 0, count: max(64, units.count * 4 + 16))
        var needed = fill(&key, units, length)
        if Int(needed) > key.count {
            key = [UInt8](repeating: 0, count: Int(needed))
            needed = fill(&key, units, length)
        }
        // `needed` counts the terminating zero; 0 means ICU failed (then the key is empty).
        key.removeSubrange(max(0, min(Int(needed) - 1, key.count))...)
        return key
    }

    private func fill(_ key: inout [UInt8], _ units: [UInt16], _ length: Int32) -> Int32 {
        units.withUnsafeBufferPointer { source in
            key.withUnsafeMutableBufferPointer { output in
                tessera_collator_sort_key(pointer, source.baseAddress, length, output.baseAddress, Int32(clamping: output.count))
            }
        }
    }
}
