// Crash safety: the CrashWriter child inserts with journaled writes and acknowledges each `_id`;
// it is SIGKILLed at random moments, 20 rounds on one store, and after each kill the reopened
// store must hold every acknowledged document intact, load its catalog and shapes, and decode every record.

import BSON
import Foundation
import Synchronization
import Testing
@testable import Documents

/// Collects `ack <id>` lines from the child's stdout on a reader thread.
private final class AckReader: Sendable {
    private let state = Mutex<(acks: [Int], partial: [UInt8], finished: Bool)>(([], [], false))

    var acks: [Int] { state.withLock { $0.acks } }
    var finished: Bool { state.withLock { $0.finished } }

    /// Reads `handle` until end of file on a new thread.
    func start(reading handle: FileHandle) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                append(Array(data))
            }
            state.withLock { $0.finished = true }
        }
        thread.start()
    }

    private func append(_ bytes: [UInt8]) {
        state.withLock { state in
            state.partial += bytes
            while let newline = state.partial.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: state.partial[..<newline], as: UTF8.self)
                state.partial.removeSubrange(...newline)
                if line.hasPrefix("ack doc-"), let n = Int(line.dropFirst("ack doc-".count)) { state.acks.append(n) }
            }
        }
    }
}

/// The CrashWriter executable, built beside the test bundle.
private func crashWriterURL() throws -> URL {
    if let path = ProcessInfo.processInfo.environment["TESSERA_CRASH_WRITER"] { return URL(fileURLWithPath: path) }
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    // On Darwin the test binary sits inside `Foo.xctest/Contents/MacOS`.
    for _ in 0 ..< 4 {
        let candidate = directory.appendingPathComponent("CrashWriter")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory.deleteLastPathComponent()
    }
    let fallback = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("CrashWriter")
    guard FileManager.default.isExecutableFile(atPath: fallback.path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: fallback.path])
    }
    return fallback
}

/// Document `n`'s payload, as CrashWriter builds it.
private func expectedPayload(for n: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    let length = 100 + (n &* 7919) % 1901
    var text = ""
    for index in 0 ..< length { text.append(alphabet[(n &* 31 &+ index &* 17) % alphabet.count]) }
    return text
}

/// Whether `document` is exactly what CrashWriter writes for `n`.
private func isIntact(_ document: BSONDocument, n: Int) -> Bool {
    guard document["_id"] == .string("doc-\(n)"), document["n"] == .int64(Int64(n)),
          document["payload"] == .string(expectedPayload(for: n)),
          case let .document(nested)? = document["nested"], nested["a"] == .int64(Int64(n)),
          nested["tags"] == .array((0 ..< n % 4).map { .string("tag-\($0)") }) else { return false }
    if (n % 5 == 0) != (nested["even"] != nil) || (n % 3 == 0) != (document["flag"] == .bool(true)) { return false }
    return true
}

struct CrashSafetyTests {
    @Test func acknowledgedJournaledInsertsSurviveSIGKILL() throws {
        let writer = try crashWriterURL()
        try withStoreDirectory { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            var random = SystemRandomNumberGenerator()
            var acknowledged = Set<Int>()
            var nextIndex = 0
            let rounds = 20
            for round in 1 ... rounds {
                let process = Process()
                process.executableURL = writer
                process.arguments = [path, String(nextIndex)]
                let output = Pipe()
                process.standardOutput = output
                let reader = AckReader()
                try process.run()
                reader.start(reading: output.fileHandleForReading)
                let ackTarget = Int.random(in: 5 ... 200, using: &random)
                let delay = Duration.milliseconds(Int.random(in: 10 ... 300, using: &random))
                let started = ContinuousClock.now
                while reader.acks.count < ackTarget, ContinuousClock.now - started < delay, !reader.finished {
                    Thread.sleep(forTimeInterval: 0.001)
                }
                #expect(process.isRunning, "CrashWriter exited on its own in round \(round)")
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
                for _ in 0 ..< 5_000 where !reader.finished { Thread.sleep(forTimeInterval: 0.001) }
                #expect(reader.finished)
                let acks = reader.acks
                acknowledged.formUnion(acks)

                // Reopen: the catalog and shapes load (the initialiser throws otherwise).
                let store = try DocumentStore(path: path)
                let collection = try store.collection("events", in: "crash")
                if !acknowledged.isEmpty {
                    #expect(store.catalog.collection(collection.namespace) != nil)
                    #expect(store.shapes.idCount > 0)
                }
                var lost = 0
                for n in acknowledged {
                    guard let document = try collection.document(withID: .string("doc-\(n)")) else {
                        lost += 1
                        continue
                    }
                    #expect(isIntact(document, n: n), "doc-\(n) is damaged after round \(round)")
                }
                #expect(lost == 0, "\(lost) acknowledged documents lost after round \(round)")
                // Every record decodes and is intact, acknowledged or not.
                var present = 0
                var damaged = 0
                var highest = nextIndex - 1
                try collection.forEachDocument { document in
                    present += 1
                    if case let .string(id)? = document["_id"], let n = Int(id.dropFirst("doc-".count)) {
                        if !isIntact(document, n: n) { damaged += 1 }
                        highest = max(highest, n)
                    } else {
                        damaged += 1
                    }
                    return true
                }
                #expect(damaged == 0)
                #expect(try collection.count() == present)
                #expect(present >= acknowledged.count)
                print("crash round \(round): \(acks.count) acks this round, \(acknowledged.count) acknowledged in total, "
                    + "\(present) present, checked")
                nextIndex = highest + 1
            }
            #expect(acknowledged.count >= rounds, "too few acknowledged writes to mean anything")
        }
    }
}
