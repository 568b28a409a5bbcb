// `tessera compact`: asks a running server to compact one collection, or every collection of
// a database, with the `compact` command, and prints the bytes each one freed.

import ArgumentParser
import BSON
import BenchKit

/// `tessera compact`.
struct Compact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compact a collection (or every collection of a database) on a running server to return disk space.")

    @OptionGroup var connection: ToolConnectionOptions

    @Option(name: .long, help: "The database.")
    var db: String

    @Option(name: .long, help: "The collection (default: every collection of the database).")
    var collection: String?

    @Flag(name: .long, help: "One JSON document per collection: {ns, bytesFreed}.")
    var json = false

    func run() throws {
        let server = try connection.connect()
        defer { server.close() }
        let names: [String]
        if let collection {
            names = [collection]
        } else {
            names = try server.collectionEntries(db).compactMap { entry in
                guard case .string(let name)? = entry["name"], entry["type"] != .string("view") else { return nil }
                return name
            }
        }
        var total: Int64 = 0
        for name in names {
            let reply = try server.command(["compact": .string(name)], database: db)
            let freed = reply["bytesFreed"].flatMap(ClientNumber.saturatedInteger) ?? 0
            total &+= freed
            if json {
                print(BSONValue.document(["ns": .string("\(db).\(name)"), "bytesFreed": .int64(freed)]).extendedJSON())
            } else {
                print("\(db).\(name): \(freed) bytes freed")
            }
        }
        if !json && names.count > 1 { print("total: \(total) bytes freed") }
    }
}
