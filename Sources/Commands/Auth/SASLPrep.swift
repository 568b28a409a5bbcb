// SASLprep (RFC 4013, the stringprep profile of RFC 3454) for SCRAM-SHA-256 passwords and
// user names: ASCII passes through unchanged; other text gets the profile's mapping, NFKC and
// its prohibited-character checks. Unassigned code points are allowed (the "query" rule).

import BSON
import Query
import Foundation

/// RFC 4013's SASLprep.
enum SASLPrep {
    /// The prepared form of `text`.
    ///
    /// - Throws: `BadValue` (2) when the text holds a prohibited character (controls,
    ///   private use, non-characters, bidirectional or tagging marks) or prepares to empty.
    static func prepare(_ text: String) throws(MongoError) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return text }
        var mapped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if mapsToNothing(scalar.value) { continue }
            mapped.append(isNonASCIISpace(scalar.value) ? " " : scalar)
        }
        let normalized = String(mapped).precomposedStringWithCompatibilityMapping
        for scalar in normalized.unicodeScalars where isProhibited(scalar.value) {
            throw MongoError(.badValue, "SASLprep: prohibited character U+\(String(scalar.value, radix: 16, uppercase: true))")
        }
        return normalized
    }

    /// RFC 3454 table C.1.2.
    private static func isNonASCIISpace(_ value: UInt32) -> Bool {
        switch value {
        case 0x00A0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// RFC 3454 table B.1.
    private static func mapsToNothing(_ value: UInt32) -> Bool {
        switch value {
        case 0x00AD, 0x034F, 0x1806, 0x180B...0x180D, 0x200B...0x200D, 0x2060, 0xFE00...0xFE0F, 0xFEFF: true
        default: false
        }
    }

    /// RFC 4013 section 2.3's prohibited tables (C.2.1 to C.9).
    private static func isProhibited(_ value: UInt32) -> Bool {
        switch value {
        case 0x0000...0x001F, 0x007F: true                                   // C.2.1
        case 0x0080...0x009F, 0x06DD, 0x070F, 0x180E, 0x200C, 0x200D, 0x2028, 0x2029, 0x2060...0x2063,
             0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC, 0x1D173...0x1D17A: true  // C.2.2
        case 0xE000...0xF8FF, 0xF0000...0xFFFFD, 0x100000...0x10FFFD: true      // C.3
        case 0xFDD0...0xFDEF: true                                           // C.4
        case let v where v & 0xFFFE == 0xFFFE: true                          // C.4
        case 0xFFFD, 0x2FF0...0x2FFB: true                                   // C.6, C.7
        case 0x0340, 0x0341, 0x200E, 0x200F, 0x202A...0x202E: true           // C.8
        case 0xE0001, 0xE0020...0xE007F: true                                // C.9
        default: false
        }
    }
}
