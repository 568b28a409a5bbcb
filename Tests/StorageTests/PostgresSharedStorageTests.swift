// What lets several Tessera servers share one PostgreSQL database (SharedStorage), checked on a
// real PostgreSQL 15 (PostgresTestServer) with several engines on one database standing in for
// several servers: counter reservations are disjoint and respect their floor, and the commit
// lock admits one holder at a time and is freed by release or by its holder going away.
import PostgresTestSupport
import Foundation
import Synchronization
import Testing
@testable import Storage
@testable import StoragePostgres

@Suite("PostgreSQL shared storage")
struct PostgresSharedStorageTests {
    @Test func reservationsFromManyEnginesAreDisjointAndAboveTheFloor() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        let engines = try (0 ..< 3).map { _ in try PostgresStore(location: location) }
        let reserved = Mutex<[Range<UInt64>]>([])
        let failures = Mutex<[StorageError]>([])
        DispatchQueue.concurrentPerform(iterations: 12) { iteration in
            let engine = engines[iteration % engines.count]
            for round in 0 ..< 10 {
                let count = UInt64(1 + (iteration + round) % 5)
                do throws(StorageError) {
                    let first = try engine.reserve(count, of: "ids", floor: 100)
                    reserved.withLock { $0.append(first ..< first + count) }
                } catch {
                    failures.withLock { $0.append(error) }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let ranges = reserved.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(ranges.count == 120)
        #expect(ranges.first?.lowerBound == 100)
        for (lower, upper) in zip(ranges, ranges.dropFirst()) {
            // Disjoint and, since each reservation is one atomic upsert, without gaps.
            #expect(lower.upperBound == upper.lowerBound)
        }
        // A higher floor moves the counter up; a lower one never moves it back.
        let high = try engines[0].reserve(1, of: "ids", floor: 10_000)
        #expect(high == 10_000)
        #expect(try engines[1].reserve(2, of: "ids", floor: 5) == 10_001)
        #expect(try engines[2].reserve(1, of: "other", floor: 0) == 0)
    }

    @Test func theCommitLockAdmitsOneHolderAtATime() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        let first = try PostgresStore(location: location)
        let second = try PostgresStore(location: location)
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let failures = Mutex<[StorageError]>([])
        let engines = [first, second]
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for _ in 0 ..< 10 {
                do throws(StorageError) {
                    let lock = try engines[worker % 2].lockCommits()
                    if inside.add(1, ordering: .sequentiallyConsistent).newValue > 1 {
                        overlaps.add(1, ordering: .relaxed)
                    }
                    usleep(2_000)
                    inside.subtract(1, ordering: .sequentiallyConsistent)
                    lock.release()
                } catch {
                    failures.withLock { $0.append(error) }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let overlapCount = overlaps.load(ordering: .relaxed)
        #expect(overlapCount == 0)
    }

    @Test func aLockWhoseHolderGoesAwayIsFreed() throws {
        let server = try PostgresTestServer.start()
        let location = try server.makeDatabase()
        let waiter = try PostgresStore(location: location)
        let acquired = Atomic<Bool>(false)
        do {
            // Dropped without release: its connection's transaction is rolled back.
            let holder = try PostgresStore(location: location)
            let held = try holder.lockCommits()
            let thread = Thread {
                if let lock = try? waiter.lockCommits() {
                    acquired.store(true, ordering: .sequentiallyConsistent)
                    lock.release()
                }
            }
            thread.start()
            usleep(200_000)
            let early = acquired.load(ordering: .sequentiallyConsistent)
            #expect(!early, "the second holder got a held lock")
            withExtendedLifetime(held) {}
        }
        let deadline = Date().addingTimeInterval(30)
        while !acquired.load(ordering: .sequentiallyConsistent), Date() < deadline { usleep(10_000) }
        let late = acquired.load(ordering: .sequentiallyConsistent)
        #expect(late, "the lock of an engine that went away was never freed")
    }
}
