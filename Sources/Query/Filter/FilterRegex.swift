// FilterRegex: a query regular expression (pattern and MongoDB option letters) compiled once
// with PCRE2 as mongod compiles it (`CompiledRegex`). Owns option validation and MongoDB's
// query regex error codes; a match stopped by a limit is no match, as in mongod.

public import BSON
import Documents

/// A regular expression from a filter, compiled once at parse time.
public struct FilterRegex: Sendable, Hashable {
    /// The pattern as given.
    public let pattern: String
    /// The option letters as given (`i`, `m`, `s`, `x`, `u`).
    public let options: String
    private let compiled: CompiledRegex

    /// Compiles `pattern` with `options`.
    ///
    /// - Throws: `Location51108` for an option letter other than `imsux`, `BadValue` for an
    ///   embedded NUL, `Location51091` for a pattern that does not compile.
    public init(pattern: String, options: String) throws(MongoError) {
        let bits: UInt32
        switch CompiledRegex.compileOptions(options) {
        case .valid(let value): bits = value
        case .invalid(let flag): throw MongoError(.location(51108), " invalid flag in regex options: \(flag)")
        }
        if pattern.utf8.contains(0) {
            throw MongoError(.badValue, "Regular expression cannot contain an embedded null byte")
        }
        self.pattern = pattern
        self.options = options
        do {
            compiled = try CompiledRegex(pattern: pattern, options: bits)
        } catch {
            throw MongoError(.location(51091), "Regular expression is invalid: \(error.message)")
        }
    }

    /// Compiles a BSON regular expression value.
    public init(_ regex: BSONRegex) throws(MongoError) {
        try self.init(pattern: regex.pattern, options: regex.options)
    }

    /// The pattern and options as a BSON value.
    public var bsonValue: BSONValue { .regex(BSONRegex(pattern: pattern, options: options)) }

    /// Whether the pattern occurs in `string`. A match that hits a limit (see
    /// `CompiledRegex.matchLimit`) counts as no match: mongod's `$regex` does the same.
    public func matches(_ string: String) -> Bool {
        (try? compiled.matches(string)) ?? false
    }

    /// MongoDB's regex predicate on one value: strings and symbols by search, stored regular
    /// expressions by equal pattern and options, anything else never.
    public func matches(_ value: BSONValue?) -> Bool {
        switch value {
        case .string(let string)?, .symbol(let string)?:
            return matches(string)
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
