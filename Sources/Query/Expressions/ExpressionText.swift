// ExpressionText: evaluation of the named string and array operators — $regexMatch,
// $regexFind, $regexFindAll (Swift Regex with MongoDB's option letters), $trim/$ltrim/
// $rtrim, $replaceOne/$replaceAll and $zip — with MongoDB's null rules and codes.

internal import BSON
internal import Documents

/// Named string and array operators.
enum ExpressionText {
    static func regex(_ operation: NamedExpression.RegexOperation, _ input: BSONValue?, _ regex: BSONValue?,
                      _ options: BSONValue?) throws(MongoError) -> BSONValue? {
        let name = operation.rawValue
        var pattern: String
        var flags = ""
        switch regex {
        case nil, .null?, .undefined?:
            return operation == .match ? .bool(false) : (operation == .find ? .null : .array([]))
        case .string(let text)?: pattern = text
        case .regex(let stored)?:
            pattern = stored.pattern
            flags = stored.options
        default:
            throw MongoError(.location(51105), "\(name) needs 'regex' to be of type string or regex")
        }
        switch options {
        case nil, .null?, .undefined?: break
        case .string(let text)?:
            if case .regex(let stored)? = regex, !stored.options.isEmpty, !text.isEmpty {
                throw MongoError(.location(51075), "\(name): regex option(s) specified in both 'regex' and 'option' fields")
            }
            flags += text
        default:
            throw MongoError(.location(51106), "\(name) needs 'options' to be of type string")
        }
        for flag in flags where !"imsx".contains(flag) {
            throw MongoError(.location(51108), "\(name) invalid flag in regex options: \(flag)")
        }
        switch input {
        case nil, .null?, .undefined?:
            return operation == .match ? .bool(false) : (operation == .find ? .null : .array([]))
        case .string?: break
        default:
            throw MongoError(.location(51104), "\(name) needs 'input' to be of type string")
        }
        guard case .string(let text)? = input else { return .null }
        let compiled: Regex<AnyRegexOutput>
        do {
            compiled = try Regex(flags.isEmpty ? pattern : "(?\(flags))" + pattern)
        } catch {
            throw MongoError(.location(51111), "Invalid Regex in \(name): \(pattern)")
        }
        switch operation {
        case .match:
            return .bool(text.firstMatch(of: compiled) != nil)
        case .find:
            guard let match = text.firstMatch(of: compiled) else { return .null }
            return .document(describe(match, in: text))
        case .findAll:
            return .array(text.matches(of: compiled).map { .document(describe($0, in: text)) })
        }
    }

    /// `{match, idx, captures}` with `idx` in code points.
    private static func describe(_ match: Regex<AnyRegexOutput>.Match, in text: String) -> BSONDocument {
        let index = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: match.range.lowerBound)
        var captures: [BSONValue] = []
        for capture in match.output.dropFirst() {
            if let substring = capture.substring { captures.append(.string(String(substring))) } else { captures.append(.null) }
        }
        return ["match": .string(String(text[match.range])), "idx": .int32(Int32(index)), "captures": .array(captures)]
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
