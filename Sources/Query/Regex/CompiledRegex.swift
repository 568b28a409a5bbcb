// CompiledRegex: one PCRE2 pattern compiled once as MongoDB compiles it (8-bit, UTF, option
// letters i m s x u), with a match context that bounds every match (match and heap limits),
// JIT when the platform has it, and byte-offset matches. Owns the C resources; knows no BSON.

internal import CPCRE2

/// A PCRE2 pattern compiled once and matched many times, from any thread.
///
/// Safe to share (`@unchecked Sendable`): the compiled code and the match context are written
/// only in `init` and read-only afterwards, which PCRE2 documents as safe for concurrent
/// matching; the per-match state (`pcre2_match_data`) is created and freed inside each call.
public final class CompiledRegex: @unchecked Sendable {
    /// Why a pattern did not compile.
    public struct CompileError: Error, Sendable {
        /// PCRE2's message, as mongod reports it ("missing closing parenthesis").
        public let message: String
        /// The byte offset in the pattern where PCRE2 stopped.
        public let offset: Int
    }

    /// Why a match stopped without an answer.
    public struct MatchError: Error, Sendable {
        /// PCRE2's negative result code.
        public let code: Int32
        /// PCRE2's message ("match limit exceeded").
        public let message: String
        /// Whether a configured bound (match, depth or heap limit) stopped the match.
        public var isLimit: Bool {
            code == PCRE2_ERROR_MATCHLIMIT || code == PCRE2_ERROR_HEAPLIMIT || code == PCRE2_ERROR_DEPTHLIMIT
        }
    }

    /// One successful match: byte ranges in the subject's UTF-8, whole match first, then
    /// each capture group (nil when the group took no part in the match).
    public struct Match: Sendable {
        /// `groups[0]` is the whole match; `groups[n]` capture group n.
        public let groups: [Range<Int>?]
        /// The whole match's byte range.
        public var range: Range<Int> { groups.first.flatMap { $0 } ?? 0..<0 }
    }

    /// Backtracking steps one match may take before it gives up: PCRE2's own default, which
    /// is also what mongod's `$regex` runs with. The ReDoS pattern `^(a+)+$` on 30 a's and a
    /// b reaches it in tens of milliseconds (JIT) instead of running for minutes; ordinary
    /// patterns use a few thousand steps.
    public static let matchLimit: UInt32 = 10_000_000
    /// Backtracking memory one match may use, in KiB (64 MiB). PCRE2's default is 20 GB,
    /// which would let one query exhaust the server's memory.
    public static let heapLimitKiB: UInt32 = 65_536
    /// The longest pattern accepted, in bytes: mongod's bound.
    public static let maxPatternLength = 32_764

    private let code: OpaquePointer
    private let context: OpaquePointer
    /// Whether matching runs JIT-compiled code.
    public let isJIT: Bool
    /// How many capture groups the pattern has.
    public let captureCount: Int

    /// PCRE2 compile options for MongoDB's option letters, or the first letter it rejects.
    ///
    /// `u` is accepted and changes nothing (mongod compiles every pattern as UTF already).
    public static func compileOptions(_ letters: String) -> OptionLetters {
        var options = UInt32(PCRE2_UTF)
        for letter in letters {
            switch letter {
            case "i": options |= UInt32(PCRE2_CASELESS)
            case "m": options |= UInt32(PCRE2_MULTILINE)
            case "s": options |= UInt32(PCRE2_DOTALL)
            case "x": options |= UInt32(PCRE2_EXTENDED)
            case "u": break
            default: return .invalid(letter)
            }
        }
        return .valid(options)
    }

    /// Option letters read: PCRE2's compile options, or the first letter MongoDB rejects.
    public enum OptionLetters: Sendable {
        /// Every letter is one of `imsxu`.
        case valid(UInt32)
        /// This letter is not.
        case invalid(Character)
    }

    /// Compiles `pattern` with PCRE2 compile `options` (see `compileOptions(_:)`), and JIT-
    /// compiles it when `jit` is set: worth it for a pattern matched many times, not for one
    /// compiled per document and matched once.
    ///
    /// - Throws: `CompileError` with PCRE2's message for a pattern PCRE2 rejects or one longer
    ///   than `maxPatternLength` bytes.
    public init(pattern: String, options: UInt32, jit: Bool = true) throws(CompileError) {
        guard let compileContext = pcre2_compile_context_create_8(nil) else {
            throw CompileError(message: "failed to allocate a compile context", offset: 0)
        }
        defer { pcre2_compile_context_free_8(compileContext) }
        pcre2_set_max_pattern_length_8(compileContext, CompiledRegex.maxPatternLength)
        var errorCode: Int32 = 0
        var errorOffset = 0
        var bytes = pattern
        let compiled = bytes.withUTF8 { utf8 in
            pcre2_compile_8(utf8.baseAddress ?? UnsafePointer(bitPattern: 1), utf8.count, options,
                            &errorCode, &errorOffset, compileContext)
        }
        guard let compiled else {
            throw CompileError(message: CompiledRegex.message(for: errorCode), offset: errorOffset)
        }
        guard let matchContext = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            throw CompileError(message: "failed to allocate a match context", offset: 0)
        }
        pcre2_set_match_limit_8(matchContext, CompiledRegex.matchLimit)
        pcre2_set_heap_limit_8(matchContext, CompiledRegex.heapLimitKiB)
        code = compiled
        context = matchContext
        // JIT is an optimisation: where the platform has none, the interpreter answers the same.
        isJIT = jit && pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        var groups: UInt32 = 0
        _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &groups)
        captureCount = Int(groups)
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    /// Whether the pattern occurs anywhere in `subject`.
    ///
    /// - Throws: `MatchError` when a limit or another PCRE2 error stopped the match.
    public func matches(_ subject: String) throws(MatchError) -> Bool {
        try firstMatch(in: subject, from: 0) != nil
    }

    /// The first match at or after byte offset `start` of `subject`'s UTF-8, or nil.
    ///
    /// - Throws: `MatchError` when a limit or another PCRE2 error stopped the match.
    public func firstMatch(in subject: String, from start: Int) throws(MatchError) -> Match? {
        var text = subject
        let result = text.withUTF8 { utf8 in Result { () throws(MatchError) -> Match? in try firstMatch(in: utf8, from: start) } }
        return try result.get()
    }

    /// The first match at or after byte offset `start` of the valid UTF-8 `utf8`, or nil.
    func firstMatch(in utf8: UnsafeBufferPointer<UInt8>, from start: Int) throws(MatchError) -> Match? {
        guard start >= 0, start <= utf8.count else { return nil }
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else {
            throw MatchError(code: PCRE2_ERROR_NOMEMORY, message: CompiledRegex.message(for: PCRE2_ERROR_NOMEMORY))
        }
        defer { pcre2_match_data_free_8(data) }
        // Swift strings are valid UTF-8, so PCRE2 need not check the subject again.
        let base = utf8.baseAddress ?? UnsafePointer(bitPattern: 1)
        var result = pcre2_match_8(code, base, utf8.count, start, UInt32(PCRE2_NO_UTF_CHECK), data, context)
        if result == PCRE2_ERROR_JIT_STACKLIMIT {
            // The JIT's machine stack is small; the interpreter's heap frames obey heapLimitKiB.
            result = pcre2_match_8(code, base, utf8.count, start, UInt32(PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT), data, context)
        }
        if result == PCRE2_ERROR_NOMATCH { return nil }
        if result < 0 { throw MatchError(code: result, message: CompiledRegex.message(for: result)) }
        guard let ovector = pcre2_get_ovector_pointer_8(data) else { return nil }
        let pairs = min(Int(pcre2_get_ovector_count_8(data)), captureCount + 1)
        var groups: [Range<Int>?] = []
        groups.reserveCapacity(captureCount + 1)
        for group in 0..<(captureCount + 1) {
            // An unset group is PCRE2_UNSET (all bits set: -1 as Swift's Int).
            guard group < pairs else { groups.append(nil); continue }
            let lower = ovector[2 * group], upper = ovector[2 * group + 1]
            groups.append(lower >= 0 && lower <= upper && upper <= utf8.count ? lower..<upper : nil)
        }
        return Match(groups: groups)
    }

    /// PCRE2's text for an error code.
    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = buffer.withUnsafeMutableBufferPointer { pointer in
            pcre2_get_error_message_8(code, pointer.baseAddress, pointer.count)
        }
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(decoding: buffer.prefix(Int(length)), as: UTF8.self)
    }
}
