// Evaluation of NamedExpression (variables bound by slot, $convert's onError/onNull, the
// string and date operators with named arguments), and parsing of the date operators.

internal import BSON
internal import Collation
internal import Documents

extension NamedExpression {
    static func parseDate(_ name: String, _ argument: BSONValue, _ context: inout ExpressionContext) throws(MongoError) -> NamedExpression? {
        if let part = DatePart(rawValue: name) {
            // {$year: <date>}, {$year: [<date>]} or {$year: {date:, timezone:}}.
            if case .document(let document) = argument, let first = document.first, !first.key.hasPrefix("$") {
                var spec = try Arguments(name, argument, allowed: ["date", "timezone"], notObject: (40524, ""), unknown: 40535, &context)
                guard let date = spec.take("date") else { throw MongoError(.location(40539), "missing 'date' argument to \(name), provided: \(ServerText.value(argument))") }
                return .datePart(part, date: date, timezone: spec.take("timezone"))
            }
            if case .array(let elements) = argument {
                guard elements.count == 1 else {
                    throw MongoError(.location(40536), "\(name) accepts exactly one argument if given an array, but was given \(elements.count)")
                }
                return .datePart(part, date: try Expression.parse(elements[0], in: &context), timezone: nil)
            }
            return .datePart(part, date: try Expression.parse(argument, in: &context), timezone: nil)
        }
        switch name {
        case "$dateToString":
            var spec = try Arguments(name, argument, allowed: ["date", "format", "timezone", "onNull"], notObject: (18629, "$dateToString only supports an object as its argument"), unknown: 18534, &context)
            guard let date = spec.take("date") else { throw MongoError(.location(18628), "Missing 'date' parameter to $dateToString") }
            return .dateToString(date: date, format: spec.take("format"), timezone: spec.take("timezone"), onNull: spec.take("onNull"))
        case "$dateFromString":
            var spec = try Arguments(name, argument, allowed: ["dateString", "format", "timezone", "onError", "onNull"], notObject: (40540, "$dateFromString only supports an object as an argument, found: \(ServerText.typeName(argument))"), unknown: 40541, &context)
            guard let string = spec.take("dateString") else { throw MongoError(.location(40542), "Missing 'dateString' parameter to $dateFromString") }
            return .dateFromString(string: string, format: spec.take("format"), timezone: spec.take("timezone"), onError: spec.take("onError"), onNull: spec.take("onNull"))
        case "$dateTrunc":
            var spec = try Arguments(name, argument, allowed: ["date", "unit", "binSize", "timezone", "startOfWeek"], notObject: (5_439_007, "$dateTrunc only supports an object as its argument"), unknown: 5_439_008, &context)
            guard let date = spec.take("date") else { throw MongoError(.location(5_439_009), "Missing 'date' parameter to $dateTrunc") }
            guard let unit = spec.take("unit") else { throw MongoError(.location(5_439_010), "Missing 'unit' parameter to $dateTrunc") }
            return .dateTrunc(date: date, unit: unit, binSize: spec.take("binSize"), timezone: spec.take("timezone"), startOfWeek: spec.take("startOfWeek"))
        case "$dateAdd", "$dateSubtract":
            var spec = try Arguments(name, argument, allowed: ["startDate", "unit", "amount", "timezone"], notObject: (5_166_400, "\(name) expects an object as its argument"), unknown: 5_166_401, &context)
            guard let start = spec.take("startDate") else { throw MongoError(.location(5_166_402), "\(name) requires startDate to be specified") }
            guard let unit = spec.take("unit") else { throw MongoError(.location(5_166_402), "\(name) requires unit to be specified") }
            guard let amount = spec.take("amount") else { throw MongoError(.location(5_166_402), "\(name) requires amount to be specified") }
            return .dateAdd(subtract: name == "$dateSubtract", start: start, unit: unit, amount: amount, timezone: spec.take("timezone"))
        case "$dateDiff":
            var spec = try Arguments(name, argument, allowed: ["startDate", "endDate", "unit", "timezone", "startOfWeek"], notObject: (5_166_301, "$dateDiff only supports an object as its argument"), unknown: 5_166_302, &context)
            guard let start = spec.take("startDate") else { throw MongoError(.location(5_166_303), "Missing 'startDate' parameter to $dateDiff") }
            guard let end = spec.take("endDate") else { throw MongoError(.location(5_166_304), "Missing 'endDate' parameter to $dateDiff") }
            guard let unit = spec.take("unit") else { throw MongoError(.location(5_166_305), "Missing 'unit' parameter to $dateDiff") }
            return .dateDiff(start: start, end: end, unit: unit, timezone: spec.take("timezone"), startOfWeek: spec.take("startOfWeek"))
        default:
            return nil
        }
    }

    func evaluate(_ scope: ExpressionScope) throws(MongoError) -> BSONValue? {
        switch self {
        case .let(let bindings, let body):
            var inner = scope
            for (slot, value) in bindings { inner.bind(slot, to: try value.evaluate(scope)) }
            return try body.evaluate(inner)
        case .map(let input, let slot, let body):
            let value = try input.evaluate(scope)
            if ExpressionArithmetic.isNullish(value) { return .null }
            guard case .array(let elements)? = value else {
                throw MongoError(.location(16883), "input to $map must be an array not \(ServerText.typeName(value))")
            }
            var inner = scope
            var result: [BSONValue] = []
            result.reserveCapacity(elements.count)
            for element in elements {
                inner.bind(slot, to: element)
                result.append(try body.evaluate(inner) ?? .null)
            }
            return .array(result)
        case .filter(let input, let slot, let condition, let limitExpression):
            let value = try input.evaluate(scope)
            var limit = Int.max
            if let limitExpression {
                let limitValue = try limitExpression.evaluate(scope)
                if !ExpressionArithmetic.isNullish(limitValue) {
                    guard let limitValue, let int = ExpressionArithmetic.int32Value(limitValue) else {
                        throw MongoError(.location(327_391), "$filter: limit must be represented as a 32-bit integral value: \(limitValue.map { ServerText.value($0) } ?? "missing")")
                    }
                    guard int > 0 else { throw MongoError(.location(327_392), "$filter: limit must be greater than 0: \(int)") }
                    limit = int
                }
            }
            if ExpressionArithmetic.isNullish(value) { return .null }
            guard case .array(let elements)? = value else {
                throw MongoError(.location(28651), "input to $filter must be an array not \(ServerText.typeName(value))")
            }
            var inner = scope
            var result: [BSONValue] = []
            for element in elements where result.count < limit {
                inner.bind(slot, to: element)
                if Expression.isTruthy(try condition.evaluate(inner)) { result.append(element) }
            }
            return .array(result)
        case .reduce(let input, let initial, let valueSlot, let thisSlot, let body):
            let value = try input.evaluate(scope)
            if ExpressionArithmetic.isNullish(value) { return .null }
            guard case .array(let elements)? = value else {
                throw MongoError(.location(40080), "$reduce requires that 'input' be an array, found: \(ServerText.typeName(value))")
            }
            var accumulated = try initial.evaluate(scope)
            var inner = scope
            for element in elements {
                inner.bind(valueSlot, to: accumulated)
                inner.bind(thisSlot, to: element)
                accumulated = try body.evaluate(inner)
            }
            return accumulated
        case .switch(let branches, let otherwise):
            for branch in branches where Expression.isTruthy(try branch.condition.evaluate(scope)) {
                return try branch.then.evaluate(scope)
            }
            guard let otherwise else {
                throw MongoError(.location(40066), "$switch could not find a matching branch for an input, and no default was specified.")
            }
            return try otherwise.evaluate(scope)
        case .convert(let input, let to, let onError, let onNull):
            let value = try input.evaluate(scope)
            let toValue = try to.evaluate(scope)
            if ExpressionArithmetic.isNullish(toValue) { return .null }
            let target = try ConversionTarget(toValue ?? .null)
            if ExpressionArithmetic.isNullish(value) {
                return try onNull.map { (expression) throws(MongoError) -> BSONValue? in try expression.evaluate(scope) } ?? .null
            }
            do {
                return try ExpressionConversion.convert(value ?? .null, to: target)
            } catch where error.code == .conversionFailure {
                guard let onError else { throw error }
                return try onError.evaluate(scope)
            }
        case .getField(let field, let input):
            guard case .constant(.string(let name)) = field else { return nil }
            let value = try input.evaluate(scope)
            if ExpressionArithmetic.isNullish(value) { return nil }
            guard case .document(let document)? = value else {
                throw MongoError(.location(3_041_705), "$getField requires 'input' to evaluate to type Object, but got \(ServerText.typeName(value))")
            }
            return document[name]
        case .setField(let field, let input, let valueExpression):
            guard case .constant(.string(let name)) = field else { return nil }
            let value = try input.evaluate(scope)
            if ExpressionArithmetic.isNullish(value) { return .null }
            guard case .document(var document)? = value else {
                throw MongoError(.location(4_161_105), "\(valueExpression == nil ? "$unsetField" : "$setField") requires 'input' to evaluate to type Object, but got \(ServerText.typeName(value))")
            }
            let newValue = try valueExpression?.evaluate(scope)
            document[name] = newValue
            return .document(document)
        case .regex(let operation, let input, let regex, let options, let precompiled):
            let value = try input.evaluate(scope)
            let compiled: CompiledRegex?
            if let precompiled {
                compiled = precompiled.compiled
            } else {
                compiled = try ExpressionText.compileRegex(operation, try regex.evaluate(scope), try options?.evaluate(scope), once: false)
            }
            return try ExpressionText.regex(operation, value, compiled: compiled)
        case .trim(let side, let input, let chars):
            return try ExpressionText.trim(side, try input.evaluate(scope), try chars?.evaluate(scope), charsGiven: chars != nil)
        case .replace(let all, let input, let find, let replacement):
            return try ExpressionText.replace(all: all, try input.evaluate(scope), try find.evaluate(scope), try replacement.evaluate(scope))
        case .sortArray(let input, let sortBy):
            let value = try input.evaluate(scope)
            if ExpressionArithmetic.isNullish(value) { return .null }
            guard case .array(let elements)? = value else {
                throw MongoError(.location(2_942_504), "$sortArray requires an array as input, found: \(ServerText.typeName(value))")
            }
            switch sortBy {
            case .direction(let ascending):
                let indexed = elements.enumerated().sorted { a, b in
                    let order = BSONValue.compare(a.element, b.element, collator: scope.collator)
                    return order != 0 ? (ascending ? order < 0 : order > 0) : a.offset < b.offset
                }
                return .array(indexed.map(\.element))
            case .spec(let spec):
                let documents = elements.map { $0.documentValue ?? BSONDocument() }
                let keys = documents.map { spec.sortKey(for: $0) }
                let order = elements.indices.sorted { a, b in
                    let byKey = spec.compareKeys(keys[a], keys[b])
                    return byKey != 0 ? byKey < 0 : a < b
                }
                return .array(order.map { elements[$0] })
            }
        case .zip(let inputs, let longest, let defaults):
            return try ExpressionText.zip(try inputs.evaluate(scope), longest: longest, defaults: try defaults?.evaluate(scope))
        case .datePart(let part, let date, let timezone):
            guard let millis = try ExpressionDates.millis(try date.evaluate(scope), part.rawValue),
                  let zone = try ExpressionDates.zone(timezone, scope, part.rawValue), let zone else { return .null }
            return ExpressionDates.part(part, localMillis: zone.local(millis))
        case .dateToString(let date, let format, let timezone, let onNull):
            let dateValue = try date.evaluate(scope)
            let formatText: String
            if let format {
                let value = try format.evaluate(scope)
                if ExpressionArithmetic.isNullish(value) { return .null }
                guard case .string(let text)? = value else {
                    throw MongoError(.location(18533), "$dateToString requires that 'format' be a string, found: \(ServerText.typeName(value)) with value \(value.map { ServerText.value($0) } ?? "missing")")
                }
                formatText = text
            } else {
                formatText = ExpressionDates.defaultFormat
            }
            guard let zoneResult = try ExpressionDates.zone(timezone, scope, "$dateToString"), let zone = zoneResult else { return .null }
            guard let millis = try ExpressionDates.millis(dateValue, "$dateToString") else {
                return try onNull.map { (expression) throws(MongoError) -> BSONValue? in try expression.evaluate(scope) } ?? .null
            }
            return .string(try ExpressionDates.format(millis, formatText, zone))
        case .dateFromString(let string, let format, let timezone, let onError, let onNull):
            let value = try string.evaluate(scope)
            guard let zoneResult = try ExpressionDates.zone(timezone, scope, "$dateFromString"), let zone = zoneResult else { return .null }
            var formatText: String?
            if let format {
                let formatValue = try format.evaluate(scope)
                if ExpressionArithmetic.isNullish(formatValue) { return .null }
                guard case .string(let text)? = formatValue else {
                    throw MongoError(.location(40684), "$dateFromString requires that 'format' be a string, found: \(ServerText.typeName(formatValue)) with value \(formatValue.map { ServerText.value($0) } ?? "missing")")
                }
                formatText = text
            }
            if ExpressionArithmetic.isNullish(value) {
                return try onNull.map { (expression) throws(MongoError) -> BSONValue? in try expression.evaluate(scope) } ?? .null
            }
            do throws(MongoError) {
                guard case .string(let text)? = value else {
                    throw MongoError(.conversionFailure, "$dateFromString requires that 'dateString' be a string, found: \(ServerText.typeName(value)) with value \(value.map { ServerText.value($0) } ?? "missing")")
                }
                return .datetime(BSONDateTime(millisecondsSinceEpoch: try DateParsing.parse(text, format: formatText, timeZone: zone)))
            } catch where error.code == .conversionFailure {
                guard let onError else { throw error }
                return try onError.evaluate(scope)
            }
        case .dateTrunc(let date, let unit, let binSize, let timezone, let startOfWeek):
            let dateValue = try date.evaluate(scope)
            guard let unitValue = try ExpressionDates.unit(try unit.evaluate(scope), "$dateTrunc") else { return .null }
            var bins: Int64 = 1
            if let binSize {
                let value = try binSize.evaluate(scope)
                if ExpressionArithmetic.isNullish(value) { return .null }
                guard let value, value.isNumeric, let long = value.int64Value ?? (value.type == .decimal128 ? ExpressionArithmetic.longValue(value) : nil), long > 0 else {
                    throw MongoError(.location(5_439_017), "$dateTrunc requires 'binSize' to be a 64-bit integer, but got value '\(value.map { ServerText.value($0) } ?? "missing")' of type \(ServerText.typeName(value))")
                }
                bins = long
            }
            var weekStart: Int64 = 0
            if unitValue == .week, let startOfWeek {
                guard let start = try ExpressionDates.startOfWeek(try startOfWeek.evaluate(scope), "$dateTrunc") else { return .null }
                weekStart = start
            }
            guard let zoneResult = try ExpressionDates.zone(timezone, scope, "$dateTrunc"), let zone = zoneResult else { return .null }
            guard let millis = try ExpressionDates.millis(dateValue, "$dateTrunc") else { return .null }
            return .datetime(BSONDateTime(millisecondsSinceEpoch: try ExpressionDates.truncate(millis, unit: unitValue, binSize: bins, zone: zone, startOfWeek: weekStart)))
        case .dateAdd(let subtract, let start, let unit, let amount, let timezone):
            let name = subtract ? "$dateSubtract" : "$dateAdd"
            let startValue = try start.evaluate(scope)
            let unitValue = try unit.evaluate(scope)
            let amountValue = try amount.evaluate(scope)
            guard let zoneResult = try ExpressionDates.zone(timezone, scope, name), let zone = zoneResult else { return .null }
            if ExpressionArithmetic.isNullish(startValue) || ExpressionArithmetic.isNullish(unitValue) || ExpressionArithmetic.isNullish(amountValue) {
                return .null
            }
            guard case .datetime(let date)? = startValue else {
                throw MongoError(.location(5_166_403), "\(name) requires startDate to be convertible to a date")
            }
            guard let parsedUnit = try ExpressionDates.unit(unitValue, name) else { return .null }
            guard let amountValue, let long = amountValue.int64Value ?? (amountValue.type == .decimal128 ? ExpressionArithmetic.longValue(amountValue) : nil) else {
                throw MongoError(.location(5_166_405), "\(name) expects integer amount of time units")
            }
            let (negated, negationOverflows) = Int64(0).subtractingReportingOverflow(long)
            if subtract && negationOverflows { throw ExpressionDates.addOverflow }
            let result = try ExpressionDates.add(date.millisecondsSinceEpoch, unit: parsedUnit, amount: subtract ? negated : long, zone: zone)
            return .datetime(BSONDateTime(millisecondsSinceEpoch: result))
        case .dateDiff(let start, let end, let unit, let timezone, let startOfWeek):
            let startValue = try start.evaluate(scope)
            let endValue = try end.evaluate(scope)
            guard let parsedUnit = try ExpressionDates.unit(try unit.evaluate(scope), "$dateDiff") else { return .null }
            guard let zoneResult = try ExpressionDates.zone(timezone, scope, "$dateDiff"), let zone = zoneResult else { return .null }
            var weekStart: Int64 = 0
            if parsedUnit == .week, let startOfWeek {
                guard let start = try ExpressionDates.startOfWeek(try startOfWeek.evaluate(scope), "$dateDiff") else { return .null }
                weekStart = start
            }
            guard let a = try ExpressionDates.millis(startValue, "$dateDiff"), let b = try ExpressionDates.millis(endValue, "$dateDiff") else {
                return .null
            }
            return .int64(try ExpressionDates.difference(a, b, unit: parsedUnit, zone: zone, startOfWeek: weekStart))
        }
    }
}
