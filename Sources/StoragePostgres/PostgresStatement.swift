// PostgresStatement: one SQL text with its bound parameters, and the helpers that bind
// Tessera's values (bytea keys and values, bigint key space ids, arrays of both).
internal import NIOCore
internal import PostgresNIO

/// A statement ready to send: SQL with `$n` placeholders and its bindings.
struct PostgresStatement {
    let sql: String
    var binds: PostgresBindings

    init(_ sql: String) {
        self.sql = sql
        self.binds = PostgresBindings()
    }

    /// Binds a `bigint`.
    mutating func bind(_ value: Int64) {
        binds.append(value)
    }

    /// Binds a `text`.
    mutating func bind(_ value: String) {
        binds.append(value)
    }

    /// Binds a `bytea`.
    mutating func bind(_ value: [UInt8]) {
        binds.append(ByteBuffer(bytes: value))
    }

    /// Binds a `bytea[]`.
    mutating func bind(_ values: [[UInt8]]) {
        binds.append(values.map { ByteBuffer(bytes: $0) })
    }

    /// Binds a `bigint[]`.
    mutating func bind(_ values: [Int64]) {
        binds.append(values)
    }

    /// A statement with its parameters bound in order.
    static func make(_ sql: String, _ bind: (inout PostgresStatement) -> Void) -> PostgresStatement {
        var statement = PostgresStatement(sql)
        bind(&statement)
        return statement
    }
}

extension PostgresRow {
    /// The bytes of column `index`, a `bytea` (empty for NULL).
    func bytes(at index: Int) -> [UInt8] {
        guard let buffer = makeRandomAccess()[index].bytes else { return [] }
        return Array(buffer.readableBytesView)
    }
}
