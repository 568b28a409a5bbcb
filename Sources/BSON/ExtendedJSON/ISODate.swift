// ISO-8601 date-times for Extended JSON's relaxed `$date`: parsing `YYYY-MM-DDTHH:MM:SS[.f]`
// with `Z` or a `±HH:MM` / `±HHMM` offset, and printing UTC with milliseconds when non-zero.
// Pure proleptic-Gregorian arithmetic on integers; no Foundation, no time zone database.

/// Conversions between milliseconds since the Unix epoch and ISO-8601 text.
enum ISODate {
    /// The last millisecond of year 9999, the latest date relaxed Extended JSON prints as text.
    static let maxRelaxedMilliseconds: Int64 = 253_402_300_799_999

    private static let millisecondsPerDay: Int64 = 86_400_000

    private static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS`, an optional fraction of a second (digits beyond
    /// milliseconds are truncated), then `Z`, `±HH:MM` or `±HHMM`. `nil` when malformed.
    static func milliseconds(parsing text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    private static func parse(_ s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func number(_ width: Int) -> Int64? {
            guard s.count - i >= width else { return nil }
            var value: Int64 = 0
            for _ in 0..<width {
                guard JSONScanner.isDigit(s[i]) else { return nil }
                value = value * 10 + Int64(s[i] - 0x30)
                i += 1
            }
            return value
        }
        func literal(_ byte: UInt8) -> Bool {
            guard i < s.count, s[i] == byte else { return false }
            i += 1
            return true
        }
        guard let year = number(4), literal(UInt8(ascii: "-")),
              let month = number(2), literal(UInt8(ascii: "-")),
              let day = number(2), literal(UInt8(ascii: "T")),
              let hour = number(2), literal(UInt8(ascii: ":")),
              let minute = number(2), literal(UInt8(ascii: ":")),
              let second = number(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return nil }
        var millis: Int64 = 0
        if literal(UInt8(ascii: ".")) {
            var digits = 0
            while i < s.count, JSONScanner.isDigit(s[i]) {
                if digits < 3 { millis = millis * 10 + Int64(s[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        var offsetMinutes: Int64 = 0
        if literal(UInt8(ascii: "Z")) {
            // UTC
        } else if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            let sign: Int64 = s[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let offsetHours = number(2) else { return nil }
            _ = literal(UInt8(ascii: ":"))
            guard let offsetMinutesPart = number(2), offsetHours < 24, offsetMinutesPart < 60 else { return nil }
            offsetMinutes = sign * (offsetHours * 60 + offsetMinutesPart)
        } else {
            return nil
        }
        guard i == s.count else { return nil }
        let days = CivilDays.days(year: year, month: month, day: day)
        let secondsOfDay = hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return days * millisecondsPerDay + secondsOfDay * 1000 + millis
    }

    /// The most bytes ``write(milliseconds:to:)`` writes.
    static let maxTextLength = 24

    /// Writes `YYYY-MM-DDTHH:MM:SS[.mmm]Z` for `milliseconds` in 0...``maxRelaxedMilliseconds``
    /// to `output` (room for ``maxTextLength`` bytes) and returns the count written. The
    /// fraction is printed only when the milliseconds are not zero.
    static func write(milliseconds: Int64, to output: UnsafeMutablePointer<UInt8>) -> Int {
        let days = milliseconds / millisecondsPerDay
        let msOfDay = Int(milliseconds % millisecondsPerDay)
        let (year, month, day) = CivilDays.date(days: days)
        let seconds = msOfDay / 1000
        let millis = msOfDay % 1000
        @inline(__always) func pair(_ value: Int, at offset: Int) {
            output[offset] = 0x30 + UInt8(truncatingIfNeeded: value / 10)
            output[offset + 1] = 0x30 + UInt8(truncatingIfNeeded: value % 10)
        }
        pair(Int(year) / 100, at: 0)
        pair(Int(year) % 100, at: 2)
        output[4] = UInt8(ascii: "-")
        pair(Int(month), at: 5)
        output[7] = UInt8(ascii: "-")
        pair(Int(day), at: 8)
        output[10] = UInt8(ascii: "T")
        pair(seconds / 3600, at: 11)
        output[13] = UInt8(ascii: ":")
        pair(seconds / 60 % 60, at: 14)
        output[16] = UInt8(ascii: ":")
        pair(seconds % 60, at: 17)
        guard millis != 0 else {
            output[19] = UInt8(ascii: "Z")
            return 20
        }
        output[19] = UInt8(ascii: ".")
        output[20] = 0x30 + UInt8(truncatingIfNeeded: millis / 100)
        pair(millis % 100, at: 21)
        output[23] = UInt8(ascii: "Z")
        return 24
    }
}
