// ExpressionText: evaluation of the named string and array operators — $regexMatch,
// $regexFind, $regexFindAll (PCRE2 through CompiledRegex, mongod's codes), $trim/$ltrim/
// $rtrim, $replaceOne/$replaceAll and $zip — with MongoDB's null rules and codes.

internal import BSON
internal import Documents

/// Named string and array operators.
enum ExpressionText {
    /// A `$regex*` operator's pattern and options validated and compiled with MongoDB's codes,
    /// in mongod's order; nil when the pattern is nullish (the operator's answer is then null).
    /// `once` says the pattern is constant (compiled once for the whole expression), which is
    /// when JIT compilation pays for itself.
    ///
    /// - Throws: 51105/51106 for wrong types, 51107 for options in both places, 51109/51110 for
    ///   a NUL byte, 51108 for an unknown option letter, 51111 for a pattern PCRE2 rejects.
    static func compileRegex(_ operation: NamedExpression.RegexOperation, _ regex: BSONValue?,
                             _ options: BSONValue?, once: Bool) throws(MongoError) -> CompiledRegex? {
        let name = operation.rawValue
        var pattern: String?
        var flags: String?
        switch regex {
        case nil, .null?, .undefined?: break
        case .string(let text)?: pattern = text
        case .regex(let stored)?:
            pattern = stored.pattern
            if !stored.options.isEmpty { flags = stored.options }
        default:
            throw MongoError(.location(51105), "\(name) needs 'regex' to be of type string or regex")
        }
        switch options {
        case nil, .null?, .undefined?: break
        case .string(let text)?:
            if flags != nil {
                throw MongoError(.location(51107), "\(name): found regex option(s) specified in both 'regex' and 'option' fields")
            }
            flags = text
        default:
            throw MongoError(.location(51106), "\(name) needs 'options' to be of type string")
        }
        if let pattern, pattern.utf8.contains(0) {
            throw MongoError(.location(51109), "\(name): regular expression cannot contain an embedded null byte")
        }
        if let flags, flags.utf8.contains(0) {
            throw MongoError(.location(51110), "\(name): regular expression options cannot contain an embedded null byte")
        }
        guard let pattern else { return nil }
        let bits: UInt32
        switch CompiledRegex.compileOptions(flags ?? "") {
        case .valid(let value): bits = value
        case .invalid(let flag): throw MongoError(.location(51108), "\(name) invalid flag in regex options: \(flag)")
        }
        do {
            return try CompiledRegex(pattern: pattern, options: bits, jit: once)
        } catch {
            throw MongoError(.location(51111), "Invalid Regex in \(name): \(error.message)")
        }
    }

    /// `$regexMatch`, `$regexFind` or `$regexFindAll` of `compiled` over `input`, as mongod:
    /// `idx` counts code points, `captures` holds null for a group that did not take part, and
    /// `$regexFindAll` steps one code point past an empty match.
    ///
    /// - Throws: 51104 for a non-string input, 51156 when a match limit stopped PCRE2, 51151
    ///   when `$regexFindAll`'s output passes 64 MB.
    static func regex(_ operation: NamedExpression.RegexOperation, _ input: BSONValue?,
                      compiled: CompiledRegex?) throws(MongoError) -> BSONValue? {
        let name = operation.rawValue
        var text: String?
        switch input {
        case nil, .null?, .undefined?: break
        case .string(let string)?: text = string
        default:
            throw MongoError(.location(51104), "\(name) needs 'input' to be of type string")
        }
        guard let compiled, var text else {
            return operation == .match ? .bool(false) : (operation == .find ? .null : .array([]))
        }
        let result = text.withUTF8 { utf8 in
            Result { () throws(MongoError) -> BSONValue? in try regex(operation, compiled, utf8) }
        }
        return try result.get()
    }

    /// The operator's answer over the valid UTF-8 `utf8`.
    private static func regex(_ operation: NamedExpression.RegexOperation, _ compiled: CompiledRegex,
                              _ utf8: UnsafeBufferPointer<UInt8>) throws(MongoError) -> BSONValue? {
        let name = operation.rawValue
        switch operation {
        case .match:
            return .bool(try firstMatch(compiled, utf8, from: 0, name) != nil)
        case .find:
            guard let match = try firstMatch(compiled, utf8, from: 0, name) else { return .null }
            return .document(describe(match, in: utf8, codePointIndex: codePoints(utf8, 0..<match.range.lowerBound)))
        case .findAll:
            var results: [BSONValue] = []
            var start = 0
            var codePointStart = 0
            var outputSize = 0
            repeat {
                guard let match = try firstMatch(compiled, utf8, from: start, name) else { break }
                let range = match.range
                let index = codePointStart + codePoints(utf8, start..<range.lowerBound)
                let described = describe(match, in: utf8, codePointIndex: index)
                outputSize += 64 + match.groups.reduce(0) { $0 + ($1?.count ?? 0) }
                if outputSize > 64 * 1024 * 1024 {
                    throw MongoError(.location(51151), "\(name): the size of buffer to store output exceeded the 64MB limit")
                }
                results.append(.document(described))
                if range.isEmpty {
                    // Step one code point past an empty match so the next search moves on.
                    guard range.lowerBound < utf8.count else { break }
                    start = range.lowerBound + codePointLength(utf8[range.lowerBound])
                    codePointStart = index + 1
                } else {
                    start = range.upperBound
                    codePointStart = index + codePoints(utf8, range)
                }
            } while start < utf8.count
            return .array(results)
        }
    }

    /// One search, with PCRE2's failures as MongoDB's 51156.
    private static func firstMatch(_ compiled: CompiledRegex, _ utf8: UnsafeBufferPointer<UInt8>, from start: Int,
                                   _ name: String) throws(MongoError) -> CompiledRegex.Match? {
        do {
            return try compiled.firstMatch(in: utf8, from: start)
        } catch {
            throw MongoError(.location(51156), "Error occurred while executing the regular expression in \(name). Result code: \(error.message)")
        }
    }

    /// `{match, idx, captures}` for one match.
    private static func describe(_ match: CompiledRegex.Match, in utf8: UnsafeBufferPointer<UInt8>,
                                 codePointIndex: Int) -> BSONDocument {
        var captures: [BSONValue] = []
        captures.reserveCapacity(max(match.groups.count - 1, 0))
        for group in match.groups.dropFirst() {
            captures.append(group.map { .string(String(decoding: UnsafeBufferPointer(rebasing: utf8[$0]), as: UTF8.self)) } ?? .null)
        }
        let whole = String(decoding: UnsafeBufferPointer(rebasing: utf8[match.range]), as: UTF8.self)
        return ["match": .string(whole), "idx": .int32(Int32(clamping: codePointIndex)), "captures": .array(captures)]
    }

    /// How many code points the UTF-8 bytes in `range` hold (bytes that do not continue one).
    private static func codePoints(_ utf8: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int {
        var count = 0
        for index in range where utf8[index] & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// The length in bytes of the UTF-8 sequence that `lead` starts.
    private static func codePointLength(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }

    static func trim(_ side: NamedExpression.TrimSide, _ input: BSONValue?, _ chars: BSONValue?, charsGiven: Bool) throws(MongoError) -> BSONValue? {
        if ExpressionArithmetic.isNullish(input) { return .null }
        guard case .string(let text)? = input else {
            throw MongoError(.location(50699), "\(side.rawValue) requires its input to be a string, got \(input.map { ServerText.value($0) } ?? "missing") (of type \(ServerText.typeName(input))) instead.")
        }
        var set: Set<Unicode.Scalar>
        if charsGiven {
            if ExpressionArithmetic.isNullish(chars) { return .null }
            guard case .string(let characters)? = chars else {
                throw MongoError(.location(50700), "\(side.rawValue) requires 'chars' to be a string, got \(chars.map { ServerText.value($0) } ?? "missing") (of type \(ServerText.typeName(chars))) instead.")
            }
            set = Set(characters.unicodeScalars)
        } else {
            // MongoDB's default: whitespace and the null character.
            set = ["\u{0}", " ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{A0}", "\u{1680}", "\u{2000}", "\u{2001}", "\u{2002}",
                   "\u{2003}", "\u{2004}", "\u{2005}", "\u{2006}", "\u{2007}", "\u{2008}", "\u{2009}", "\u{200A}", "\u{2028}",
                   "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}"]
        }
        var scalars = Array(text.unicodeScalars)[...]
        if side != .trailing { while let first = scalars.first, set.contains(first) { scalars = scalars.dropFirst() } }
        if side != .leading { while let last = scalars.last, set.contains(last) { scalars = scalars.dropLast() } }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return .string(String(view))
    }

    static func replace(all: Bool, _ input: BSONValue?, _ find: BSONValue?, _ replacement: BSONValue?) throws(MongoError) -> BSONValue? {
        let name = all ? "$replaceAll" : "$replaceOne"
        for (label, value) in [("input", input), ("find", find), ("replacement", replacement)] {
            if ExpressionArithmetic.isNullish(value) { continue }
            guard case .string? = value else {
                throw MongoError(.location(51746), "\(name) requires that '\(label)' be a string, found: \(value.map { ServerText.value($0) } ?? "missing")")
            }
        }
        guard case .string(let text)? = input, case .string(let needle)? = find, case .string(let with)? = replacement else { return .null }
        try checkReplacementSize(name, all: all, text: text, needle: needle, with: with)
        if all {
            if needle.isEmpty {
                // Every position, as MongoDB does for an empty `find`.
                var output = with
                for scalar in text.unicodeScalars { output.unicodeScalars.append(scalar); output += with }
                return .string(output)
            }
            return .string(ExpressionStrings.split(text, by: needle).joined(separator: with))
        }
        let pieces = ExpressionStrings.split(text, by: needle)
        guard pieces.count > 1 else { return .string(text) }
        return .string(pieces[0] + with + pieces.dropFirst().joined(separator: needle))
    }

    /// Throws `BSONObjectTooLarge` (10334) before building a replacement result over 16 MiB.
    private static func checkReplacementSize(_ name: String, all: Bool, text: String, needle: String,
                                             with: String) throws(MongoError) {
        let textBytes = text.utf8.count
        let withBytes = with.utf8.count
        // Growth is only possible when the replacement is longer than what it replaces.
        guard withBytes > needle.utf8.count else { return }
        let occurrences: Int
        if needle.isEmpty {
            occurrences = all ? text.unicodeScalars.count + 1 : 1
        } else {
            occurrences = all ? ExpressionStrings.split(text, by: needle).count - 1 : 1
        }
        let (growth, overflow) = occurrences.multipliedReportingOverflow(by: withBytes - needle.utf8.count)
        try ValueLimits.checkString(bytes: overflow ? Int.max : textBytes &+ growth, name)
    }

    static func zip(_ inputs: BSONValue?, longest: Bool, defaults: BSONValue?) throws(MongoError) -> BSONValue? {
        guard case .array(let values)? = inputs else { return .null }
        var arrays: [[BSONValue]] = []
        for value in values {
            if ExpressionArithmetic.isNullish(value) { return .null }
            guard case .array(let elements) = value else {
                throw MongoError(.location(34468), "$zip found a non-array expression in input: \(ServerText.value(value))")
            }
            arrays.append(elements)
        }
        var fill = Array(repeating: BSONValue.null, count: arrays.count)
        if case .array(let given)? = defaults {
            guard given.count == arrays.count else {
                throw MongoError(.location(34467), "defaults and inputs must have the same length")
            }
            fill = given
        }
        let length = longest ? (arrays.map(\.count).max() ?? 0) : (arrays.map(\.count).min() ?? 0)
        var result: [BSONValue] = []
        for index in 0..<length {
            result.append(.array(arrays.indices.map { index < arrays[$0].count ? arrays[$0][index] : fill[$0] }))
        }
        return .array(result)
    }
}
