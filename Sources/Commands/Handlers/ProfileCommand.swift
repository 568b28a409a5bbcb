// The `profile` command: reads and changes the database profiler's settings as mongod's
// `profile` does — the database's level (-1 reads only, 0 off, 1 slow, 2 all) and filter,
// and the server-wide slowms and sampleRate — answering the settings it replaced, and storing
// the new ones so they outlive a restart. Enabling profiling creates the database's capped
// `system.profile`.

import BSON
import Query

/// The profiler's command.
enum ProfileCommand {
    static let handlers: [CommandHandler] = [
        CommandHandler(["profile"], help: "reads or sets the database profiler's level, slowms, sampleRate and filter") {
            (context) throws(MongoError) -> BSONDocument in try profile(context)
        },
    ]

    /// `{profile: <level>, slowms?, sampleRate?, filter?: <document> | "unset"}`.
    static func profile(_ context: CommandContext) throws(MongoError) -> BSONDocument {
        guard let level = try context.integer("profile") else {
            throw MongoError(.typeMismatch, "BSON field 'profile.profile' is the wrong type '\(context.firstValue.type.alias)', expected types '[long, int, decimal, double]'")
        }
        guard (-1...2).contains(level) else { throw MongoError(.badValue, "Invalid profiling level: \(level)") }
        let slowMillis = try context.integer("slowms").map { ClientNumber.int(clamping: $0) }
        let sampleRate = try sampleRate(context)
        let filter = try filter(context)
        let profiler = context.server.profiler
        let previousSlowMillis = profiler.slowMilliseconds
        let previousSampleRate = profiler.sampleRate
        if level > 0 { try Profiler.createCollection(in: context.database, engine: context.engine) }
        let previous = profiler.update(context.database, level: level >= 0 ? Int(level) : nil, filter: filter,
                                       slowMillis: slowMillis, sampleRate: sampleRate)
        var reply: BSONDocument = [
            "was": .int32(Int32(clamping: previous.level)),
            "slowms": .int32(Int32(clamping: previousSlowMillis)),
            "slowinprogms": .int32(Int32(clamping: previousSlowMillis)),
            "sampleRate": .double(previousSampleRate),
        ]
        if let previousFilter = previous.filter { reply.append("filter", .document(previousFilter.spec)) }
        if previous.filter != nil || (filter ?? nil) != nil {
            reply.append("note", "When a filter expression is set, slowms and sampleRate are not used for profiling and slow-query log lines.")
        }
        if level != -1 || slowMillis != nil || sampleRate != nil || filter != nil {
            context.server.saveProfileSettings(of: context.database)
            let now = profiler.profile(of: context.database)
            context.server.logger.info("Profiler settings changed", metadata: [
                "db": "\(context.database)", "level": "\(now.level)", "slowms": "\(profiler.slowMilliseconds)",
                "sampleRate": "\(profiler.sampleRate)",
            ])
        }
        return reply
    }

    /// `sampleRate`, checked to lie in [0, 1].
    private static func sampleRate(_ context: CommandContext) throws(MongoError) -> Double? {
        guard let value = context.body["sampleRate"] else { return nil }
        let rate: Double
        switch value {
        case let .decimal128(decimal): rate = decimal.doubleValue
        case .int32, .int64, .double: rate = value.doubleValue ?? .nan
        default:
            throw MongoError(.typeMismatch, "BSON field 'profile.sampleRate' is the wrong type '\(value.type.alias)', expected type 'double'")
        }
        guard rate >= 0, rate <= 1 else { throw MongoError(.badValue, "'sampleRate' must be between 0.0 and 1.0 inclusive") }
        return rate
    }

    /// `filter`: `.some(nil)` for `"unset"`, `.some(filter)` for a match expression, `nil` when absent.
    private static func filter(_ context: CommandContext) throws(MongoError) -> Filter?? {
        guard let value = context.body["filter"] else { return nil }
        switch value {
        case let .document(spec): return .some(try Filter(spec))
        case .string("unset"): return .some(nil)
        default: throw MongoError(.badValue, "Expected an object, or the string 'unset'.")
        }
    }
}
