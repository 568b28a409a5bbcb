// Collator: the Collation layer's entry point. Turns a collation document into an ICU collator
// with MongoDB's validation (collator_factory_icu), compares strings, and maps values to
// comparison keys: the same value with every string replaced by its ICU sort key, so that
// BSON's binary comparison of the keys is the collation's order. The simple collation is no
// Collator at all (`nil`): callers keep their binary path and pay nothing.

public import BSON

/// A non-simple collation, opened in ICU. Values are cheap to copy and share one collator.
public struct Collator: Sendable, Hashable {
    /// The resolved specification.
    public let spec: CollationSpec
    let icu: ICUCollator

    /// Equal when the specifications are.
    public static func == (lhs: Collator, rhs: Collator) -> Bool { lhs.spec == rhs.spec }

    /// Hashes the specification.
    public func hash(into hasher: inout Hasher) { hasher.combine(spec) }

    /// The collator for a collation document, or `nil` for the simple (binary) collation.
    /// Collators are cached per document, so repeated operations open ICU once.
    ///
    /// - Throws: the IDL errors of ``CollationRequest`` (40413, 40414, 40415, 14, 2, 51024);
    ///   `BadValue` (2) for an empty, unknown or non-canonical locale ("Did you mean …?");
    ///   `BadValue` for `backwards` at strength 1 and `caseFirst` without a tertiary level;
    ///   `IncompatibleCollationVersion` (161) for another ICU version; `OperationFailed` (96)
    ///   when ICU refuses an attribute.
    public static func make(_ document: BSONDocument) throws(MongoError) -> Collator? {
        let request = try CollationRequest(document)
        if request.isSimple { return nil }
        if let cached = CollatorCache.shared[request] { return cached }
        let collator = try open(request, document: document)
        CollatorCache.shared[request] = collator
        return collator
    }

    /// The collator of a specification Tessera stored (a collection's or an index's resolved
    /// collation), opened with this ICU whatever version it was resolved with.
    public static func stored(_ document: BSONDocument) throws(MongoError) -> Collator? {
        var document = document
        document["version"] = nil
        return try make(document)
    }

    /// Whether `document` is a collation document for the simple collation (after the same
    /// validation as ``make(_:)``).
    public static func isSimple(_ document: BSONDocument) throws(MongoError) -> Bool {
        try make(document) == nil
    }

    // MARK: Comparing

    /// The collation's order of two strings: negative, zero or positive.
    public func compare(_ lhs: String, _ rhs: String) -> Int {
        icu.compare(lhs, rhs)
    }

    /// The ICU sort key of `text` (without the terminating zero): comparing keys byte by byte
    /// is comparing the strings under this collation.
    public func sortKey(_ text: String) -> [UInt8] {
        icu.sortKey(text)
    }

    /// `value` with every string (and symbol), at any depth, replaced by a string whose UTF-8
    /// bytes order as the original's sort key: each key byte `b` becomes the scalar U+00bb,
    /// and UTF-8 preserves scalar order. BSON's comparison of comparison keys is therefore
    /// MongoDB's comparison under this collation; other values are returned unchanged.
    public func comparisonKey(_ value: BSONValue) -> BSONValue {
        switch value {
        case let .string(text): return .string(keyString(text))
        case let .symbol(text): return .symbol(keyString(text))
        case let .document(document):
            guard Self.containsStrings(value) else { return value }
            var translated = BSONDocument()
            for element in document { translated.append(element.key, comparisonKey(element.value)) }
            return .document(translated)
        case let .array(elements):
            guard Self.containsStrings(value) else { return value }
            return .array(elements.map(comparisonKey))
        default:
            return value
        }
    }

    /// Whether a collation can change how `value` compares: it is or holds a string or symbol.
    public static func containsStrings(_ value: BSONValue) -> Bool {
        switch value {
        case .string, .symbol: return true
        case let .document(document): return document.contains { containsStrings($0.value) }
        case let .array(elements): return elements.contains(where: containsStrings)
        default: return false
        }
    }

    private func keyString(_ text: String) -> String {
        let key = icu.sortKey(text)
        var utf8: [UInt8] = []
        utf8.reserveCapacity(key.count * 2)
        for byte in key {
            if byte < 0x80 {
                utf8.append(byte)
            } else {
                utf8.append(0xC0 | (byte >> 6))
                utf8.append(0x80 | (byte & 0x3F))
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    // MARK: Opening

    /// The longest locale ID tried in ICU; longer ones are not locales.
    private static let longestLocale = 157

    private static func open(_ request: CollationRequest, document: BSONDocument) throws(MongoError) -> Collator {
        let shown = CollationRequest.describe(document)
        guard request.locale.utf8.count <= longestLocale, let canonical = ICUCollator.canonicalName(request.locale) else {
            throw MongoError(.badValue, "Field 'locale' is not valid in: \(shown)")
        }
        let icu: ICUCollator
        let valid: String
        do {
            icu = try ICUCollator(locale: canonical)
            valid = try icu.validLocale()
        } catch {
            throw MongoError(operationFailed, "Failed to create collator: \(error.name). Collation spec: \(shown)")
        }
        if request.locale.isEmpty {
            throw MongoError(.badValue, "Field 'locale' cannot be the empty string in: \(shown)")
        }
        if request.locale != valid {
            var message = "Field 'locale' is invalid in: \(shown)"
            if valid != "root" && !valid.isEmpty { message += ". Did you mean '\(valid)'?" }
            throw MongoError(.badValue, message)
        }
        let spec = try configure(icu, request, locale: canonical, shown: shown)
        if spec.backwards && spec.strength == 1 {
            throw MongoError(.badValue, "'backwards' is invalid with 'strength' of 1 in: \(shown)")
        }
        if spec.caseFirst != .off && !spec.caseLevel && spec.strength <= 2 {
            throw MongoError(.badValue,
                             "'caseFirst' is invalid unless 'caseLevel' is on or 'strength' is greater than 2 in: \(shown)")
        }
        return Collator(spec: spec, icu: icu)
    }

    private static let operationFailed = MongoError.Code(96, "OperationFailed")

    /// Sets the options the request gives and reads the locale's defaults for the others.
    private static func configure(
        _ icu: ICUCollator, _ request: CollationRequest, locale: String, shown: String
    ) throws(MongoError) -> CollationSpec {
        func option(_ field: String, _ option: ICUCollator.Option, _ given: Int32?) throws(MongoError) -> Int32 {
            do {
                guard let given else { return try icu.get(option) }
                try icu.set(option, given)
                return given
            } catch {
                throw MongoError(operationFailed, given != nil
                    ? "Failed to set '\(field)' attribute: \(error.name). Collation spec: \(shown)"
                    : "Failed to get '\(field)' attribute from icu::Collator: \(error.name). Collation spec: \(shown)")
            }
        }
        func flag(_ value: Bool?) -> Int32? { value.map { $0 ? 1 : 0 } }
        let caseFirsts: [CollationCaseFirst] = [.off, .lower, .upper]
        let caseLevel = try option("caseLevel", .caseLevel, flag(request.caseLevel)) == 1
        let caseFirst = try option("caseFirst", .caseFirst, request.caseFirst.flatMap { caseFirsts.firstIndex(of: $0) }.map { Int32($0) })
        let strength = try option("strength", .strength, request.strength.map { Int32($0) })
        let numericOrdering = try option("numericOrdering", .numericOrdering, flag(request.numericOrdering)) == 1
        let alternate = try option("alternate", .alternate, request.alternate.map { $0 == .shifted ? 1 : 0 })
        let maxVariable = try option("maxVariable", .maxVariable, request.maxVariable.map { $0 == .space ? 1 : 0 })
        let normalization = try option("normalization", .normalization, flag(request.normalization)) == 1
        let backwards = try option("backwards", .backwards, flag(request.backwards)) == 1
        let version = ICUCollator.version
        if let requested = request.version, requested != version {
            throw MongoError(MongoError.Code(161, "IncompatibleCollationVersion"),
                             "Requested collation version \(requested) but the only available collator version was \(version). Requested collation spec: \(shown)")
        }
        return CollationSpec(locale: locale, caseLevel: caseLevel,
                             caseFirst: caseFirsts.indices.contains(Int(caseFirst)) ? caseFirsts[Int(caseFirst)] : .off,
                             strength: Int(strength), numericOrdering: numericOrdering,
                             alternate: alternate == 1 ? .shifted : .nonIgnorable, maxVariable: maxVariable == 1 ? .space : .punct,
                             normalization: normalization, backwards: backwards, version: version)
    }
}

extension BSONValue {
    /// MongoDB's comparison of two values under a collation: ``compare(_:_:)`` of their
    /// comparison keys, or of the values themselves when `collator` is `nil` (simple).
    public static func compare(_ lhs: BSONValue, _ rhs: BSONValue, collator: Collator?) -> Int {
        guard let collator else { return compare(lhs, rhs) }
        return compare(collator.comparisonKey(lhs), collator.comparisonKey(rhs))
    }
}
