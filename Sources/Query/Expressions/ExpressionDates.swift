// ExpressionDates: the date operators ($year ... $millisecond, $week, ISO weeks,
// $dateToString, $dateFromString, $dateTrunc, $dateAdd/$dateSubtract, $dateDiff) with time
// zones. Civil fields come from integer arithmetic on local milliseconds; Foundation's
// TimeZone only supplies an Olson zone's offset at an instant ("+HH:MM" offsets need none).

import Foundation
internal import BSON
internal import Documents

/// The date-part operators.
public enum DatePart: String, Sendable, CaseIterable {
    case year = "$year", month = "$month", dayOfMonth = "$dayOfMonth", hour = "$hour", minute = "$minute"
    case second = "$second", millisecond = "$millisecond", dayOfYear = "$dayOfYear", dayOfWeek = "$dayOfWeek"
    case week = "$week", isoWeek = "$isoWeek", isoWeekYear = "$isoWeekYear", isoDayOfWeek = "$isoDayOfWeek"
}

/// A time zone as MongoDB accepts it: an Olson name or a fixed UTC offset.
enum DateZone: Sendable {
    case fixed(seconds: Int)
    case olson(TimeZone)

    static let utc = DateZone.fixed(seconds: 0)

    /// Parses `"America/New_York"`, `"+05:30"`, `"-0800"`, `"+03"`, `"UTC"`, `"GMT"`, `"Z"`.
    ///
    /// - Throws: `Location40485` for an unknown zone.
    init(_ text: String) throws(MongoError) {
        if text == "UTC" || text == "GMT" || text == "Z" {
            self = .utc
            return
        }
        if let first = text.utf8.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            let digits = text.utf8.dropFirst().filter { $0 != UInt8(ascii: ":") }
            let valid = digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                && (digits.count == 2 || digits.count == 4)
                && (text.utf8.count != 6 || Array(text.utf8)[3] == UInt8(ascii: ":"))
            if valid {
                let values = digits.map { Int($0 - UInt8(ascii: "0")) }
                let hours = values[0] * 10 + values[1]
                let minutes = values.count == 4 ? values[2] * 10 + values[3] : 0
                let sign = first == UInt8(ascii: "-") ? -1 : 1
                self = .fixed(seconds: sign * (hours * 3600 + minutes * 60))
                return
            }
        } else if let zone = TimeZone(identifier: text) {
            self = .olson(zone)
            return
        }
        throw MongoError(.location(40485), "unrecognized time zone identifier: \"\(text)\"")
    }

    /// The offset from UTC, in milliseconds, at the UTC instant `millis`.
    func offset(atUTC millis: Int64) -> Int64 {
        switch self {
        case .fixed(let seconds):
            return Int64(seconds) * 1000
        case .olson(let zone):
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            return Int64(zone.secondsFromGMT(for: date)) * 1000  // checked: an Int of seconds under a day
        }
    }

    /// Local milliseconds (civil time as if it were UTC) for the instant `millis`.
    func local(_ millis: Int64) -> Int64 { DateMath.saturating(millis, plus: offset(atUTC: millis)) }

    /// The UTC instant for local milliseconds (the earlier instant when a DST change repeats it).
    func utc(fromLocal local: Int64) -> Int64 {
        let guess = DateMath.saturating(local, plus: -offset(atUTC: local))
        return DateMath.saturating(local, plus: -offset(atUTC: guess))
    }
}

/// Civil calendar fields of local milliseconds.
struct CivilTime: Sendable {
    var year: Int64, month: Int64, day: Int64
    var hour: Int64, minute: Int64, second: Int64, millisecond: Int64

    init(localMillis: Int64) {
        let (days, millisOfDay) = CivilTime.floorDivide(localMillis, 86_400_000)
        (year, month, day) = CivilTime.civil(fromDays: days)
        hour = millisOfDay / 3_600_000
        minute = millisOfDay / 60000 % 60
        second = millisOfDay / 1000 % 60
        millisecond = millisOfDay % 1000
    }

    init(year: Int64, month: Int64, day: Int64, hour: Int64 = 0, minute: Int64 = 0, second: Int64 = 0, millisecond: Int64 = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.millisecond = millisecond
    }

    /// Back to local milliseconds, or `overflow` when the fields lie beyond Int64's dates.
    func checkedLocalMillis(overflow: MongoError = DateMath.overflow) throws(MongoError) -> Int64 {
        let days = CivilTime.days(fromCivil: year, month, day)
        var millis = try DateMath.product(days, 86_400_000, overflow: overflow)
        for (count, unit) in [(hour, Int64(3_600_000)), (minute, 60000), (second, 1000), (millisecond, 1)] {
            millis = try DateMath.sum(millis, try DateMath.product(count, unit, overflow: overflow), overflow: overflow)
        }
        return millis
    }

    /// Back to local milliseconds (fields that came from real dates, which always fit).
    var localMillis: Int64 {
        let days = CivilTime.days(fromCivil: year, month, day)
        return days * 86_400_000 + hour * 3_600_000 + minute * 60000 + second * 1000 + millisecond
    }

    /// Days since 1970-01-01.
    var daysSinceEpoch: Int64 { CivilTime.days(fromCivil: year, month, day) }

    /// 1 (Sunday) ... 7 (Saturday).
    var dayOfWeek: Int64 {
        let (_, weekday) = CivilTime.floorDivide(daysSinceEpoch + 4, 7)  // 1970-01-01 was a Thursday (4).
        return weekday + 1
    }

    /// 1 (Monday) ... 7 (Sunday).
    var isoDayOfWeek: Int64 { dayOfWeek == 1 ? 7 : dayOfWeek - 1 }

    /// 1 ... 366.
    var dayOfYear: Int64 { daysSinceEpoch - CivilTime.days(fromCivil: year, 1, 1) + 1 }

    /// `%U`: weeks starting Sunday; days before the year's first Sunday are week 0.
    var week: Int64 { (dayOfYear - 1 + 7 - (dayOfWeek - 1)) / 7 }

    /// ISO 8601 week-numbering year and week.
    var isoWeekAndYear: (week: Int64, year: Int64) {
        // The Thursday of this week decides the year.
        let thursday = daysSinceEpoch - isoDayOfWeek + 4
        let (thursdayYear, _, _) = CivilTime.civil(fromDays: thursday)
        let firstDay = CivilTime.days(fromCivil: thursdayYear, 1, 1)
        return ((thursday - firstDay) / 7 + 1, thursdayYear)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let date = CivilDays.date(days: days)
        return (date.year, date.month, date.day)
    }

    /// Days since 1970-01-01 of a civil date.
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        CivilDays.days(year: year, month: month, day: day)
    }

    static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        let next = month == 12 ? days(fromCivil: year + 1, 1, 1) : days(fromCivil: year, month + 1, 1)
        return next - days(fromCivil: year, month, 1)
    }
}

/// Time units of `$dateTrunc`, `$dateAdd` and `$dateDiff`.
enum DateUnit: String, Sendable {
    case year, quarter, month, week, day, hour, minute, second, millisecond

    var fixedMillis: Int64? {
        switch self {
        case .week: 604_800_000
        case .day: 86_400_000
        case .hour: 3_600_000
        case .minute: 60000
        case .second: 1000
        case .millisecond: 1
        default: nil
        }
    }
}

/// Evaluation helpers for the date operators.
enum ExpressionDates {
    /// A date operand: dates, timestamps and ObjectIds; nil for null/missing.
    static func millis(_ value: BSONValue?, _ name: String) throws(MongoError) -> Int64? {
        switch value {
        case nil, .null?, .undefined?: return nil
        case .datetime(let date)?: return date.millisecondsSinceEpoch
        case .timestamp(let timestamp)?: return Int64(timestamp.timestamp) * 1000
        case .objectId(let id)?: return Int64(id.timestampSeconds) * 1000
        default:
            throw MongoError(.location(16006), "can't convert from BSON type \(ServerText.typeName(value)) to Date")
        }
    }

    /// A `timezone` argument; nil means the expression's value is null.
    static func zone(_ expression: Expression?, _ scope: ExpressionScope, _ name: String) throws(MongoError) -> DateZone?? {
        guard let expression else { return .some(.utc) }
        let value = try expression.evaluate(scope)
        if ExpressionArithmetic.isNullish(value) { return .some(nil) }
        guard case .string(let text)? = value else {
            throw MongoError(.location(40517), "timezone must evaluate to a string, found \(ServerText.typeName(value))")
        }
        return .some(try DateZone(text))
    }

    static func unit(_ value: BSONValue?, _ name: String, _ argument: String = "unit") throws(MongoError) -> DateUnit? {
        if ExpressionArithmetic.isNullish(value) { return nil }
        guard case .string(let text)? = value else {
            throw MongoError(.location(5_439_013), "\(name) requires '\(argument)' to be a string, but got \(ServerText.typeName(value))")
        }
        guard let unit = DateUnit(rawValue: text) else {
            throw MongoError(.failedToParse, "\(name) parameter '\(argument)' value parsing failed :: caused by :: unknown time unit value: \(text)")
        }
        return unit
    }

    /// 0 (Sunday) ... 6 from a `startOfWeek` name.
    static func startOfWeek(_ value: BSONValue?, _ name: String) throws(MongoError) -> Int64? {
        if ExpressionArithmetic.isNullish(value) { return nil }
        guard case .string(let text)? = value else {
            throw MongoError(.location(5_439_015), "\(name) requires 'startOfWeek' to be a string, but got \(ServerText.typeName(value))")
        }
        let names = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
        let short = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        let lowered = text.lowercased()
        if let index = names.firstIndex(of: lowered) ?? short.firstIndex(of: lowered) { return Int64(index) }
        throw MongoError(.failedToParse, "\(name) parameter 'startOfWeek' value cannot be recognized as a day of a week: \(text)")
    }

    static func part(_ part: DatePart, localMillis: Int64) -> BSONValue {
        let civil = CivilTime(localMillis: localMillis)
        let value: Int64
        switch part {
        case .year: value = civil.year
        case .month: value = civil.month
        case .dayOfMonth: value = civil.day
        case .hour: value = civil.hour
        case .minute: value = civil.minute
        case .second: value = civil.second
        case .millisecond: value = civil.millisecond
        case .dayOfYear: value = civil.dayOfYear
        case .dayOfWeek: value = civil.dayOfWeek
        case .week: value = civil.week
        case .isoWeek: value = civil.isoWeekAndYear.week
        case .isoWeekYear: value = civil.isoWeekAndYear.year
        case .isoDayOfWeek: value = civil.isoDayOfWeek
        }
        if part == .isoWeekYear { return .int64(value) }
        return .int32(Int32(truncatingIfNeeded: value))
    }

    // MARK: $dateToString

    static let defaultFormat = "%Y-%m-%dT%H:%M:%S.%LZ"

    static func format(_ millis: Int64, _ format: String, _ zone: DateZone) throws(MongoError) -> String {
        let offset = zone.offset(atUTC: millis)
        let civil = CivilTime(localMillis: DateMath.saturating(millis, plus: offset))
        var output = ""
        var iterator = format.unicodeScalars.makeIterator()
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value.magnitude)
            return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        while let scalar = iterator.next() {
            guard scalar == "%" else {
                output.unicodeScalars.append(scalar)
                continue
            }
            guard let spec = iterator.next() else {
                throw MongoError(.location(18535), "Unmatched '%' at end of format string")
            }
            switch spec {
            case "d": output += pad(civil.day, 2)
            case "G": output += pad(civil.isoWeekAndYear.year, 4)
            case "H": output += pad(civil.hour, 2)
            case "j": output += pad(civil.dayOfYear, 3)
            case "L": output += pad(civil.millisecond, 3)
            case "m": output += pad(civil.month, 2)
            case "M": output += pad(civil.minute, 2)
            case "S": output += pad(civil.second, 2)
            case "w": output += String(civil.dayOfWeek)
            case "u": output += String(civil.isoDayOfWeek)
            case "U": output += pad(civil.week, 2)
            case "V": output += pad(civil.isoWeekAndYear.week, 2)
            case "Y": output += pad(civil.year, 4)
            case "z":
                let minutes = offset / 60000
                output += (minutes < 0 ? "-" : "+") + pad(abs(minutes) / 60, 2) + pad(abs(minutes) % 60, 2)
            case "Z":
                let minutes = offset / 60000
                output += (minutes < 0 ? "-" : "+") + String(abs(minutes))
            case "b", "B":
                let names = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                             "October", "November", "December"]
                let name = names[Int(civil.month - 1)]
                output += spec == "b" ? String(name.prefix(3)) : name
            case "%": output += "%"
            default:
                throw MongoError(.location(18536), "Invalid format character '%\(spec)' in format string")
            }
        }
        return output
    }

    // MARK: $dateTrunc, $dateAdd, $dateDiff

    static func truncate(_ millis: Int64, unit: DateUnit, binSize: Int64, zone: DateZone, startOfWeek: Int64) throws(MongoError) -> Int64 {
        let local = zone.local(millis)
        let truncatedLocal: Int64
        switch unit {
        case .year, .quarter, .month:
            let civil = CivilTime(localMillis: local)
            let monthsPerUnit: Int64 = unit == .year ? 12 : (unit == .quarter ? 3 : 1)
            let months = (civil.year - 2000) * 12 + civil.month - 1
            let monthsPerBin = try DateMath.product(monthsPerUnit, binSize)
            let (bins, _) = CivilTime.floorDivide(months, monthsPerBin)
            let start = try DateMath.product(bins, monthsPerBin)
            let (yearOffset, month) = CivilTime.floorDivide(start, 12)
            truncatedLocal = try CivilTime(year: try DateMath.year(2000, plus: yearOffset), month: month + 1, day: 1).checkedLocalMillis()
        case .week:
            // 2000-01-02 was a Sunday; shift the reference to the chosen first day.
            let reference = CivilTime(year: 2000, month: 1, day: 2 + startOfWeek).localMillis
            let size = try DateMath.product(604_800_000, binSize)
            let (bins, _) = CivilTime.floorDivide(try DateMath.sum(local, -reference), size)
            truncatedLocal = try DateMath.sum(reference, try DateMath.product(bins, size))
        default:
            let reference = CivilTime(year: 2000, month: 1, day: 1).localMillis
            let size = try DateMath.product(unit.fixedMillis ?? 1, binSize)
            let (bins, _) = CivilTime.floorDivide(try DateMath.sum(local, -reference), size)
            truncatedLocal = try DateMath.sum(reference, try DateMath.product(bins, size))
        }
        return zone.utc(fromLocal: truncatedLocal)
    }

    static func add(_ millis: Int64, unit: DateUnit, amount: Int64, zone: DateZone) throws(MongoError) -> Int64 {
        switch unit {
        case .year, .quarter, .month:
            let months = try DateMath.product(amount, unit == .year ? 12 : (unit == .quarter ? 3 : 1), overflow: addOverflow)
            var civil = CivilTime(localMillis: zone.local(millis))
            let total = try DateMath.sum(civil.year * 12 + civil.month - 1, months, overflow: addOverflow)
            let (year, month) = CivilTime.floorDivide(total, 12)
            civil.year = try DateMath.year(0, plus: year, overflow: addOverflow)
            civil.month = month + 1
            civil.day = min(civil.day, CivilTime.daysInMonth(civil.year, civil.month))
            return zone.utc(fromLocal: try civil.checkedLocalMillis(overflow: addOverflow))
        case .day, .week:
            let shift = try DateMath.product(amount, unit.fixedMillis ?? 0, overflow: addOverflow)
            return zone.utc(fromLocal: try DateMath.sum(zone.local(millis), shift, overflow: addOverflow))
        default:
            let (product, overflow) = amount.multipliedReportingOverflow(by: unit.fixedMillis ?? 1)
            let (sum, overflow2) = millis.addingReportingOverflow(product)
            if overflow || overflow2 { throw addOverflow }
            return sum
        }
    }

    /// `$dateAdd`/`$dateSubtract`'s error when the result leaves the representable dates.
    static let addOverflow = MongoError(.location(5_166_406), "$dateAdd overflowed")

    static func difference(_ start: Int64, _ end: Int64, unit: DateUnit, zone: DateZone, startOfWeek: Int64) throws(MongoError) -> Int64 {
        let a = zone.local(start)
        let b = zone.local(end)
        switch unit {
        case .year, .quarter, .month:
            let ca = CivilTime(localMillis: a)
            let cb = CivilTime(localMillis: b)
            let months = (cb.year * 12 + cb.month - 1) - (ca.year * 12 + ca.month - 1)
            switch unit {
            case .year: return cb.year - ca.year
            case .quarter: return ((cb.year * 12 + cb.month - 1) / 3) - ((ca.year * 12 + ca.month - 1) / 3)
            default: return months
            }
        case .week:
            let reference = CivilTime(year: 2000, month: 1, day: 2 + startOfWeek).localMillis
            return CivilTime.floorDivide(try DateMath.sum(b, -reference), 604_800_000).0
                - CivilTime.floorDivide(try DateMath.sum(a, -reference), 604_800_000).0
        default:
            let size = unit.fixedMillis ?? 1
            return CivilTime.floorDivide(b, size).0 - CivilTime.floorDivide(a, size).0
        }
    }
}

/// Checked arithmetic on milliseconds and calendar fields: a date from a client may be any
/// Int64, so every sum and product either fits or throws (`Overflow`, 15, unless the caller
/// names its own error), and the conversions that cannot fail saturate.
enum DateMath {
    /// The error for a date computation that leaves Int64's range.
    static let overflow = MongoError(.overflow, "date overflow")

    /// The furthest year from 1970 whose days still fit Int64 milliseconds.
    static let maxYear: Int64 = 290_000_000

    static func sum(_ a: Int64, _ b: Int64, overflow: MongoError = DateMath.overflow) throws(MongoError) -> Int64 {
        let (result, overflowed) = a.addingReportingOverflow(b)
        if overflowed { throw overflow }
        return result
    }

    static func product(_ a: Int64, _ b: Int64, overflow: MongoError = DateMath.overflow) throws(MongoError) -> Int64 {
        let (result, overflowed) = a.multipliedReportingOverflow(by: b)
        if overflowed { throw overflow }
        return result
    }

    /// `base + offset` as a year within ±``maxYear``.
    static func year(_ base: Int64, plus offset: Int64, overflow: MongoError = DateMath.overflow) throws(MongoError) -> Int64 {
        let year = try sum(base, offset, overflow: overflow)
        guard year.magnitude <= UInt64(maxYear) else { throw overflow }
        return year
    }

    /// `a + b`, clamped to Int64's range.
    static func saturating(_ a: Int64, plus b: Int64) -> Int64 {
        let (result, overflowed) = a.addingReportingOverflow(b)
        return overflowed ? (b > 0 ? .max : .min) : result
    }
}
