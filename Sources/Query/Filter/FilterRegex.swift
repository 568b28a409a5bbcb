// FilterRegex: a query regular expression (pattern and MongoDB option letters) compiled once
// into a Swift `Regex`, with PCRE's defaults where they differ (`$` before a final newline,
// code-point matching). Owns option validation and MongoDB's regex error codes.

public import BSON
public import Documents

/// A regular expression from a filter, compiled once at parse time.
public struct FilterRegex: Sendable, Hashable {
    /// The pattern as given.
    public let pattern: String
    /// The option letters as given (`i`, `m`, `s`, `x`, `u`).
    public let options: String
    private let compiled: CompiledPattern

    /// Compiles `pattern` with `options`.
    ///
    /// - Throws: `Location51108` for an option letter other than `imsux`, `BadValue` for an
    ///   embedded NUL, `Location51091` for a pattern that does not compile.
    public init(pattern: String, options: String) throws(MongoError) {
        for flag in options where !"imsux".contains(flag) {
            throw MongoError(.location(51108), " invalid flag in regex options: \(flag)")
        }
        if pattern.utf8.contains(0) {
            throw MongoError(.badValue, "Regular expression cannot contain an embedded null byte")
        }
        self.pattern = pattern
        self.options = options
        compiled = try CompiledPattern(pattern: pattern, options: options)
    }

    /// Compiles a BSON regular expression value.
    public init(_ regex: BSONRegex) throws(MongoError) {
        try self.init(pattern: regex.pattern, options: regex.options)
    }

    /// The pattern and options as a BSON value.
    public var bsonValue: BSONValue { .regex(BSONRegex(pattern: pattern, options: options)) }

    /// Whether the pattern occurs in `string`.
    public func matches(_ string: String) -> Bool {
        compiled.matches(string)
    }

    /// MongoDB's regex predicate on one value: strings and symbols by search, stored regular
    /// expressions by equal pattern and options, anything else never.
    public func matches(_ value: BSONValue?) -> Bool {
        switch value {
        case .string(let string)?, .symbol(let string)?:
            return compiled.matches(string)
        case .regex(let stored)?:
            return stored.pattern.utf8.elementsEqual(pattern.utf8) && stored.options.utf8.elementsEqual(options.utf8)
        default:
            return false
        }
    }

    /// Equal when pattern and options are.
    public static func == (lhs: FilterRegex, rhs: FilterRegex) -> Bool {
        lhs.pattern == rhs.pattern && lhs.options == rhs.options
    }

    /// Hashes pattern and options.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(pattern)
        hasher.combine(options)
    }
}

/// The compiled `Regex`. `Regex` is not `Sendable`; this box is safe to share because the
/// regex is never mutated after init, and init runs one match so the lazily lowered program
/// exists before the box can reach another thread.
private final class CompiledPattern: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>

    init(pattern: String, options: String) throws(MongoError) {
        let multiline = options.contains("m") || CompiledPattern.setsInlineMultiline(pattern)
        var source = multiline ? pattern : CompiledPattern.pcreDollar(pattern)
        if options.contains("x") { source = "(?x)" + source }
        do {
            // PCRE as MongoDB builds it: UTF but not UCP, so \d \w \s and POSIX classes are
            // ASCII and \b is the simple \w/\W boundary; `.` is one code point.
            var regex = try Regex(source)
                .matchingSemantics(.unicodeScalar)
                .asciiOnlyCharacterClasses()
                .wordBoundaryKind(.simple)
            if options.contains("i") { regex = regex.ignoresCase() }
            if options.contains("m") { regex = regex.anchorsMatchLineEndings() }
            if options.contains("s") { regex = regex.dotMatchesNewlines() }
            self.regex = regex
        } catch {
            throw MongoError(.location(51091), "Regular expression is invalid: \(error)")
        }
        _ = "".contains(regex)
    }

    func matches(_ string: String) -> Bool {
        string.contains(regex)
    }

    /// Whether the pattern turns on multiline mode itself (`(?m)`, `(?im)`, ...).
    private static func setsInlineMultiline(_ pattern: String) -> Bool {
        var scalars = pattern.unicodeScalars.makeIterator()
        var previous: Unicode.Scalar?
        while let scalar = scalars.next() {
            if previous == "(" && scalar == "?" {
                while let flag = scalars.next(), flag != ")" && flag != ":" && flag != "-" {
                    if flag == "m" { return true }
                }
            }
            previous = scalar
        }
        return false
    }

    /// Rewrites each unescaped `$` outside a character class as `\Z`: PCRE's `$` also matches
    /// before a final newline, Swift's only at the very end.
    private static func pcreDollar(_ pattern: String) -> String {
        guard pattern.utf8.contains(UInt8(ascii: "$")) else { return pattern }
        var result = ""
        var escaped = false
        var inClass = false
        for scalar in pattern.unicodeScalars {
            if escaped {
                escaped = false
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\\":
                escaped = true
                result.unicodeScalars.append(scalar)
            case "[":
                inClass = true
                result.unicodeScalars.append(scalar)
            case "]":
                inClass = false
                result.unicodeScalars.append(scalar)
            case "$" where !inClass:
                result += "\\Z"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
