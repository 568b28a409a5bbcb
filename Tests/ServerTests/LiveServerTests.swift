// The real server over real sockets: the handshake as OP_MSG and as legacy OP_QUERY,
// compression with each compressor, checksums, pipelining, moreToCome, every kind of
// malformed frame (answered or cleanly closed, other connections unaffected), and a
// shutdown that leaves the store closed and reopenable.

import BSON
import Foundation
import NIOCore
import Query
import Server
import Testing
import Wire

@Suite(.serialized) struct LiveServerTests {
    @Test func helloOverOpMsgAnswersWithTheRequestID() async throws {
        try await withLiveServer { server, port in
            let client = try RawClient(port: port)
            let id = try client.send(.msg(OpMsg(body: ["hello": .int32(1), "$db": "admin"])))
            let reply = try #require(try client.readMessage())
            #expect(reply.header.responseTo == id)
            #expect(reply.compressor == nil)
            guard case let .msg(message) = reply.message, let body = message.body else { Issue.record("not OP_MSG"); return }
            #expect(body["ok"] == .double(1))
            #expect(body["isWritablePrimary"] == true)
            guard case let .int32(wire) = body["maxWireVersion"] else { Issue.record("no maxWireVersion"); return }
            #expect(wire >= 21)  // MongoDB 7.0
            #expect(body["maxMessageSizeBytes"] == .int32(48_000_000))
            switch body["connectionId"] {
            case let .int32(id): #expect(id > 0)
            case let .int64(id): #expect(id > 0)
            default: Issue.record("no connectionId in \(body)")
            }
        }
    }

    @Test func legacyIsMasterIsAnsweredWithOpReply() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            let query = OpQuery(fullCollectionName: "admin.$cmd", numberToReturn: -1,
                                query: ["isMaster": .int32(1), "client": ["driver": ["name": "raw", "version": "0"]]])
            let id = try client.send(.query(query))
            let reply = try #require(try client.readMessage())
            #expect(reply.header.responseTo == id)
            guard case let .reply(opReply) = reply.message else { Issue.record("not OP_REPLY"); return }
            #expect(opReply.documents.count == 1)
            #expect(opReply.responseFlags.contains(.queryFailure) == false)
            #expect(opReply.documents.first?["ismaster"] == true)
            #expect(opReply.documents.first?["ok"] == .double(1))
            // Legacy find is refused the way mongod 5.1+ refuses it, on the same connection.
            try client.send(.query(OpQuery(fullCollectionName: "test.users", query: [:])))
            guard case let .reply(refusal) = try #require(try client.readMessage()).message else {
                Issue.record("not OP_REPLY"); return
            }
            #expect(refusal.responseFlags.contains(.queryFailure))
            #expect(refusal.documents.first?["code"] == .int32(5_739_101))
        }
    }

    @Test(arguments: [Compressor.snappy, .zlib, .zstd])
    func negotiatedCompressorIsUsedForTheReply(_ compressor: Compressor) async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            let hello = try client.command(["hello": .int32(1), "compression": .array([.string(compressor.name), "lz4"])])
            #expect(hello["compression"] == .array([.string(compressor.name)]))
            let id = try client.send(.msg(OpMsg(body: ["ping": .int32(1), "$db": "admin"])), compressor: compressor)
            let reply = try #require(try client.readMessage())
            #expect(reply.header.responseTo == id)
            #expect(reply.header.opCodeValue == 2012)
            #expect(reply.compressor == compressor)
            guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
            #expect(message.body?["ok"] == .double(1))
        }
    }

    @Test func compressedRequestWithoutNegotiationGetsAnUncompressedReply() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            try client.send(.msg(OpMsg(body: ["ping": .int32(1), "$db": "admin"])), compressor: .zstd)
            let reply = try #require(try client.readMessage())
            #expect(reply.compressor == nil)
            guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
            #expect(message.body?["ok"] == .double(1))
        }
    }

    @Test func checksummedRequestGetsAChecksummedReply() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            try client.send(.msg(OpMsg(flags: .checksumPresent, body: ["ping": .int32(1), "$db": "admin"])))
            let reply = try #require(try client.readMessage())  // decoding verifies the trailer
            guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
            #expect(message.flags.contains(.checksumPresent))
            #expect(message.body?["ok"] == .double(1))
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            var bytes: [UInt8] = []
            let bodies: [BSONDocument] = [
                ["ping": .int32(1), "$db": "admin"], ["noSuchCommand": .int32(1), "$db": "admin"],
                ["buildInfo": .int32(1), "$db": "admin"], ["ping": .int32(1)],
            ]
            for (index, body) in bodies.enumerated() {
                var buffer = ByteBuffer()
                try WireMessage.msg(OpMsg(body: body)).encode(requestID: Int32(index + 1), responseTo: 0, into: &buffer)
                bytes += Array(buffer.readableBytesView)
            }
            try client.send(bytes)
            var codes: [BSONValue?] = []
            for index in 1...4 {
                let reply = try #require(try client.readMessage())
                #expect(reply.header.responseTo == Int32(index))
                guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
                codes.append(message.body?["code"])
            }
            #expect(codes == [nil, .int32(59), nil, .int32(40571)])
        }
    }

    @Test func moreToComeRequestGetsNoReply() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            try client.send(.msg(OpMsg(flags: .moreToCome, body: ["ping": .int32(1), "$db": "admin"])))
            let id = try client.send(.msg(OpMsg(body: ["ping": .int32(1), "$db": "admin"])))
            let reply = try #require(try client.readMessage())
            #expect(reply.header.responseTo == id)
        }
    }

    @Test func malformedFramesInStepAreAnsweredAndTheConnectionGoesOn() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            let ping = bsonBytes(["ping": .int32(1), "$db": "admin"])
            var checksummed = ByteBuffer()
            try WireMessage.msg(OpMsg(flags: .checksumPresent, body: ["ping": .int32(1), "$db": "admin"]))
                .encode(requestID: 1, responseTo: 0, into: &checksummed)
            var badChecksum = Array(checksummed.readableBytesView)
            badChecksum[badChecksum.count - 1] ^= 0xFF
            let flags0: [UInt8] = [0, 0, 0, 0]
            let cases: [(String, [UInt8], Int32)] = [
                ("bad checksum", badChecksum, 288),
                ("unknown opcode", rawFrame(requestID: 2, opCode: 9999, body: [1, 2, 3, 4]), 17),
                ("removed OP_INSERT", rawFrame(requestID: 3, opCode: 2002, body: [0, 0, 0, 0]), 17),
                ("truncated BSON", rawFrame(requestID: 4, opCode: 2013, body: flags0 + [0] + Array(ping.dropLast(3))), 17),
                ("invalid BSON", rawFrame(requestID: 5, opCode: 2013, body: flags0 + [0, 12, 0, 0, 0, 0x42, 0x61, 0, 1, 0, 0, 0, 0]), 22),
                ("two bodies", rawFrame(requestID: 6, opCode: 2013, body: flags0 + [0] + ping + [0] + ping), 40430),
                ("no body", rawFrame(requestID: 7, opCode: 2013, body: flags0), 40587),
                ("unknown required flag", rawFrame(requestID: 8, opCode: 2013, body: [4, 0, 0, 0, 0] + ping), 223),
                ("garbage section kind", rawFrame(requestID: 9, opCode: 2013, body: flags0 + [0] + ping + [9, 9, 9]), 40432),
            ]
            for (name, bytes, code) in cases {
                try client.send(bytes)
                let reply = try #require(try client.readMessage(), "\(name): connection closed")
                guard case let .msg(message) = reply.message else { Issue.record("\(name): not OP_MSG"); continue }
                #expect(message.body?["ok"] == .double(0), "\(name)")
                #expect(message.body?["code"] == .int32(code), "\(name)")
                #expect(message.body?["codeName"] != nil, "\(name)")
                #expect(reply.header.responseTo == Int32(bytes[4]), "\(name)")
                #expect(try client.command(["ping": .int32(1)])["ok"] == .double(1), "\(name): connection unusable after")
            }
        }
    }

    @Test func oversizedMessageIsSkippedAndAnswered() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port, timeoutSeconds: 30)
            let length = 48_000_001
            var header: [UInt8] = []
            for value in [Int32(length), 77, 0, 2013] { withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) } }
            try client.send(header)
            let chunk = [UInt8](repeating: 0x41, count: 1 << 20)
            var remaining = length - 16
            while remaining > 0 {
                let n = min(remaining, chunk.count)
                try client.send(Array(chunk[0..<n]))
                remaining -= n
            }
            let reply = try #require(try client.readMessage())
            #expect(reply.header.responseTo == 77)
            guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
            #expect(message.body?["code"] == .int32(17))
            #expect(try client.command(["ping": .int32(1)])["ok"] == .double(1))
        }
    }

    @Test func lostFramingIsAnsweredThenClosedAndOthersKeepWorking() async throws {
        try await withLiveServer { server, port in
            let bystander = try RawClient(port: port)
            #expect(try bystander.command(["ping": .int32(1)])["ok"] == .double(1))

            let tooShort = try RawClient(port: port)
            try tooShort.send(rawFrame(requestID: 41, opCode: 2013, body: []).enumerated().map { $0.offset == 0 ? 8 : $0.element })
            let reply = try #require(try tooShort.readMessage())
            #expect(reply.header.responseTo == 41)
            guard case let .msg(message) = reply.message else { Issue.record("not OP_MSG"); return }
            #expect(message.body?["code"] == .int32(17))
            #expect(try tooShort.closesConnection())

            let http = try RawClient(port: port)
            try http.send(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
            #expect(try http.closesConnection())

            let garbage = try RawClient(port: port)
            try garbage.send((0..<64).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 200) })
            #expect(try garbage.closesConnection())

            do {
                let halfHeader = try RawClient(port: port)
                try halfHeader.send([40, 0, 0, 0, 1, 0])
            }  // closed by the client mid-header

            #expect(try bystander.command(["ping": .int32(1)])["ok"] == .double(1))
            let fresh = try RawClient(port: port)
            #expect(try fresh.command(["hello": .int32(1)])["ok"] == .double(1))
            #expect(server.metrics.snapshot.totalConnections >= 6)
            #expect(server.metrics.snapshot.bytesIn > 0)
            #expect(server.metrics.snapshot.bytesOut > 0)
        }
    }

    @Test func aPointReadIsAnsweredWhileTheOnlyPoolThreadWaits() async throws {
        try await withLiveServer(commandThreads: 1) { _, port in
            let setup = try RawClient(port: port)
            #expect(try setup.command(["create": "feed", "capped": true, "size": .int32(65536)], database: "t")["ok"] == .double(1))
            #expect(try setup.command(["insert": "feed", "documents": [["_id": 1]]], database: "t")["ok"] == .double(1))
            #expect(try setup.command(["insert": "items", "documents": [["_id": "k", "v": 1]]], database: "t")["ok"] == .double(1))
            let opened = try setup.command(["find": "feed", "tailable": true, "awaitData": true], database: "t")
            guard case let .document(opening)? = opened["cursor"], case let .int64(cursor)? = opening["id"], cursor != 0 else {
                Issue.record("no tailable cursor: \(opened)"); return
            }
            // This getMore occupies the pool's only thread, waiting 3 s for a new document.
            let waiter = try RawClient(port: port)
            try waiter.send(.msg(OpMsg(body: ["getMore": .int64(cursor), "collection": "feed", "maxAwaitTimeMS": .int32(3000),
                                              "$db": "t"])))
            usleep(300_000)
            // A find by _id runs on the event loop, so it is answered while the getMore waits.
            let reader = try RawClient(port: port)
            let found = try reader.command(["find": "items", "filter": ["_id": "k"]], database: "t")
            guard case let .document(result)? = found["cursor"] else { Issue.record("no cursor: \(found)"); return }
            #expect(result["firstBatch"] == [["_id": "k", "v": 1]])
            #expect(!waiter.hasPendingBytes(), "the getMore answered first: the find waited for the pool")
            let waited = try #require(try waiter.readMessage())
            guard case let .msg(message) = waited.message else { Issue.record("not OP_MSG"); return }
            #expect(message.body?["ok"] == .double(1))
        }
    }

    @Test func shutdownClosesTheStoreSoItCanBeReopened() async throws {
        try await withLiveServer { _, port in
            let client = try RawClient(port: port)
            #expect(try client.command(["ping": .int32(1)])["ok"] == .double(1))
        } afterShutdown: { dbPath in
            // RocksDB holds a lock on the directory while open: reopening proves it closed.
            _ = try QueryEngine(path: dbPath)
        }
    }
}
