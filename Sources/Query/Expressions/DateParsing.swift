// DateParsing: date strings to milliseconds for `$dateFromString` and `$toDate` — ISO 8601
// forms (date, date-time with optional fraction, `Z` or an offset) by default, or a format
// of %Y %m %d %H %M %S %L %j %z %Z specifiers. A string's own offset wins over `timezone`.

internal import BSON
internal import Documents

/// Parses date strings as MongoDB's date parser does for the common forms.
enum DateParsing {
    private struct Fields {
        var year: Int64?, month: Int64 = 1, day: Int64 = 1
        var hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, millisecond: Int64 = 0
        var dayOfYear: Int64?
        var offsetMillis: Int64?
    }

    /// Milliseconds since the epoch for `string`, read with `format` (ISO when nil) in `timeZone`.
    ///
    /// - Throws: `ConversionFailure` (241) with MongoDB's explanation when it does not parse.
    static func parse(_ string: String, format: String?, timeZone: DateZone) throws(MongoError) -> Int64 {
        var scanner = Scanner(Array(string.utf8))
        var fields = Fields()
        if let format {
            try parseFormatted(&scanner, Array(format.utf8), &fields, string)
        } else {
            try parseISO(&scanner, &fields, string)
        }
        guard scanner.atEnd else {
            throw MongoError(.conversionFailure, "Error parsing date string '\(string)'; \(scanner.position): Trailing data")
        }
        guard let year = fields.year else {
            throw MongoError(.conversionFailure, "an incomplete date/time string has been found, with elements missing: '\(string)'")
        }
        guard (1...12).contains(fields.month), fields.day >= 1, fields.day <= CivilTime.daysInMonth(year, fields.month),
              fields.hour < 24, fields.minute < 60, fields.second < 60 else {
            throw MongoError(.conversionFailure, "Error parsing date string '\(string)'; The parsed date was invalid")
        }
        var local = CivilTime(year: year, month: fields.month, day: fields.day, hour: fields.hour, minute: fields.minute,
                              second: fields.second, millisecond: fields.millisecond).localMillis
        if let dayOfYear = fields.dayOfYear {
            local += (dayOfYear - 1) * 86_400_000
        }
        if let offset = fields.offsetMillis { return local - offset }
        return timeZone.utc(fromLocal: local)
    }

    private static func parseISO(_ scanner: inout Scanner, _ fields: inout Fields, _ string: String) throws(MongoError) {
        let fail = { (what: String) -> MongoError in
            MongoError(.conversionFailure, "Error parsing date string '\(string)': \(what)")
        }
        guard let year = scanner.number(digits: 4) else { throw fail("Unexpected character") }
        fields.year = year
        guard scanner.take(UInt8(ascii: "-")), let month = scanner.number(digits: 2) else { throw fail("Unexpected character") }
        fields.month = month
        guard scanner.take(UInt8(ascii: "-")), let day = scanner.number(digits: 2) else { throw fail("Unexpected character") }
        fields.day = day
        if scanner.atEnd { return }
        guard scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: " ")) else { throw fail("Unexpected character") }
        guard let hour = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")), let minute = scanner.number(digits: 2) else {
            throw fail("Unexpected character")
        }
        fields.hour = hour
        fields.minute = minute
        if scanner.take(UInt8(ascii: ":")) {
            guard let second = scanner.number(digits: 2) else { throw fail("Unexpected character") }
            fields.second = second
            if scanner.take(UInt8(ascii: ".")) {
                var digits: [Int64] = []
                while let digit = scanner.digit() { digits.append(digit) }
                guard !digits.isEmpty else { throw fail("Unexpected character") }
                let padded = (digits + [0, 0, 0]).prefix(3)
                fields.millisecond = padded[0] * 100 + padded[1] * 10 + padded[2]
            }
        }
        try parseOffset(&scanner, &fields, string)
    }

    private static func parseOffset(_ scanner: inout Scanner, _ fields: inout Fields, _ string: String) throws(MongoError) {
        if scanner.take(UInt8(ascii: "Z")) {
            fields.offsetMillis = 0
            return
        }
        guard let sign = scanner.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return }
        _ = scanner.take(sign)
        guard let hours = scanner.number(digits: 2) else {
            throw MongoError(.conversionFailure, "Error parsing date string '\(string)'; \(scanner.position): Unexpected character")
        }
        _ = scanner.take(UInt8(ascii: ":"))
        let minutes = scanner.number(digits: 2) ?? 0
        let millis = (hours * 60 + minutes) * 60000
        fields.offsetMillis = sign == UInt8(ascii: "-") ? -millis : millis
    }

    private static func parseFormatted(_ scanner: inout Scanner, _ format: [UInt8], _ fields: inout Fields, _ string: String) throws(MongoError) {
        let fail = { (what: String) -> MongoError in
            MongoError(.conversionFailure, "Error parsing date string '\(string)': \(what)")
        }
        var index = 0
        while index < format.count {
            let byte = format[index]
            index += 1
            guard byte == UInt8(ascii: "%") else {
                guard scanner.take(byte) else { throw fail("The separation character '\(Character(Unicode.Scalar(byte)))' does not match") }
                continue
            }
            guard index < format.count else {
                throw MongoError(.location(18535), "Unmatched '%' at end of format string")
            }
            let spec = format[index]
            index += 1
            switch spec {
            case UInt8(ascii: "Y"): fields.year = try scanner.require(4, fail)
            case UInt8(ascii: "m"): fields.month = try scanner.require(2, fail)
            case UInt8(ascii: "d"): fields.day = try scanner.require(2, fail)
            case UInt8(ascii: "H"): fields.hour = try scanner.require(2, fail)
            case UInt8(ascii: "M"): fields.minute = try scanner.require(2, fail)
            case UInt8(ascii: "S"): fields.second = try scanner.require(2, fail)
            case UInt8(ascii: "L"): fields.millisecond = try scanner.require(3, fail)
            case UInt8(ascii: "j"):
                fields.dayOfYear = try scanner.require(3, fail)
                fields.month = 1
                fields.day = 1
            case UInt8(ascii: "z"), UInt8(ascii: "Z"): try parseOffset(&scanner, &fields, string)
            case UInt8(ascii: "%"):
                guard scanner.take(UInt8(ascii: "%")) else { throw fail("Unexpected data found") }
            default:
                throw MongoError(.location(18536), "Invalid format character '%\(Character(Unicode.Scalar(spec)))' in format string")
            }
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[position] }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            position += 1
            return Int64(byte - UInt8(ascii: "0"))
        }

        mutating func require(_ digits: Int, _ fail: (String) -> MongoError) throws(MongoError) -> Int64 {
            guard let value = number(digits: digits) else { throw fail("Unexpected data found") }
            return value
        }

        mutating func number(digits: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }
}
