// The storage interface's contract (EngineContract) run on the PostgreSQL engine against a real
// PostgreSQL 15 (PostgresTestServer), each clause on a new database, opened only through
// `PostgresConfiguration` as the Documents layer opens it. Plus PostgreSQL-specific checks:
// refusal of another engine's handles, URI parsing, and serialization failures retried.
import PostgresTestSupport
import Foundation
import Synchronization
import Testing
@testable import Storage
@testable import StoragePostgres

@Suite("PostgreSQL engine contract")
struct PostgresEngineContractTests {
    @Test(arguments: EngineContract.allCases)
    func postgresMeetsTheContract(_ clause: EngineContract) throws {
        let server = try PostgresTestServer.start()
        try clause.check(on: PostgresConfiguration(location: server.makeDatabase()))
    }

    @Test func handlesAndBatchesOfAnotherEngineAreRefused() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        // Two engines on one database still refuse each other's handles: identity, not name.
        let engine = try PostgresStore(location: location)
        let other = try PostgresStore(location: location)
        let foreign = try other.keySpace(named: "records")
        let records = try engine.keySpace(named: "records")
        let readError = #expect(throws: StorageError.self) { try engine.get(bytes("k"), in: foreign) }
        #expect(readError?.code == .invalidArgument)
        let batch = engine.makeWriteBatch()
        batch.put(bytes("k"), bytes("v"), in: records)
        batch.put(bytes("k"), bytes("v"), in: foreign)
        let writeError = #expect(throws: StorageError.self) { try engine.write(batch, durability: .buffered) }
        #expect(writeError?.code == .invalidArgument)
        #expect(try engine.get(bytes("k"), in: records) == nil)
        // Both see one truth: what one writes the other reads.
        try other.put(bytes("shared"), bytes("1"), in: foreign, durability: .journaled)
        #expect(try engine.get(bytes("shared"), in: records) == bytes("1"))
    }

    @Test func concurrentMergesOnOneKeyAreAllCounted() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        let engine = try PostgresStore(location: location, mergeOperators: EngineContract.mergeOperators())
        let counters = try engine.keySpace(named: "counter.hot")
        let threads = 4
        let mergesPerThread = 25
        let failures = Mutex<[StorageError]>([])
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0 ..< mergesPerThread {
                do throws(StorageError) {
                    try engine.merge(bytes("n"), Int64AddOperator.encode(1), in: counters, durability: .buffered)
                } catch {
                    failures.withLock { $0.append(error) }
                }
            }
        }
        // A merge that exhausted its retries is reported (as .tryAgain), never lost silently.
        let refused = failures.withLock { $0 }
        #expect(refused.allSatisfy { $0.code == .tryAgain })
        #expect(refused.count < threads * mergesPerThread, "every merge was refused: retries never succeed")
        #expect(Int64AddOperator.decode(try engine.get(bytes("n"), in: counters)) == Int64(threads * mergesPerThread - refused.count))
    }

    @Test func urisAreParsedAndPrintedWithoutPasswords() throws {
        let tcp = try PostgresLocation(uri: "postgresql://tessera:secret@db.example:6543/docs")
        #expect(tcp.user == "tessera" && tcp.password == "secret" && tcp.host == "db.example" && tcp.port == 6543)
        #expect(tcp.database == "docs" && tcp.socketDirectory == nil)
        #expect(tcp.description == "postgresql://tessera@db.example:6543/docs")
        let socket = try PostgresLocation(uri: "postgres://me@localhost/db?host=/run/postgresql")
        #expect(socket.port == 5432 && socket.socketDirectory == "/run/postgresql")
        for bad in ["mysql://u@h/db", "postgresql://h:5432/db", "postgresql://u@h:99999/db", "postgresql://u@h:5432/"] {
            let error = #expect(throws: StorageError.self) { try PostgresLocation(uri: bad) }
            #expect(error?.code == .invalidArgument)
        }
    }
}
