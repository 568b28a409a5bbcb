// The handshake and server-identity commands drivers send first: hello/isMaster, ping,
// buildInfo, getCmdLineOpts, whatsmyuri, connectionStatus, listCommands,
// hostInfo, replSetGetStatus and replSetGetConfig (hello presents a single-member replica set: ReplicaSet). Limits reported here are the ones the Wire layer enforces.

import BSON
import Query

/// Handshake and server-identity commands.
enum HandshakeCommands {
    /// The largest document (16 MiB).
    static let maxBsonObjectSize: Int32 = 16 * 1024 * 1024
    /// The largest message (48 MB).
    static let maxMessageSizeBytes: Int32 = 48_000_000
    /// The most statements in one write command.
    static let maxWriteBatchSize: Int32 = 100_000
    /// MongoDB 8.0's wire version.
    static let maxWireVersion: Int32 = 25

    static let handlers: [CommandHandler] = [
        CommandHandler(["hello"], allowsLegacy: true, help: "the server's role and limits (handshake)") { (context) throws(MongoError) -> BSONDocument in
            try hello(context, legacyName: false)
        },
        CommandHandler(["isMaster", "ismaster"], allowsLegacy: true, help: "legacy name of hello") { (context) throws(MongoError) -> BSONDocument in
            try hello(context, legacyName: true)
        },
        CommandHandler(["ping"], allowsLegacy: true, help: "answers ok") { (_) throws(MongoError) -> BSONDocument in BSONDocument() },
        CommandHandler(["buildInfo", "buildinfo"], allowsLegacy: true, help: "the server's version") { (context) throws(MongoError) -> BSONDocument in
            buildInfo(context)
        },
        CommandHandler(["getCmdLineOpts"], help: "the command line the server started with") { (context) throws(MongoError) -> BSONDocument in
            context.server.configuration.commandLine
        },
        CommandHandler(["whatsmyuri"], help: "the client's address as the server sees it") { (context) throws(MongoError) -> BSONDocument in
            ["you": .string(context.connection.remoteAddress)]
        },
        CommandHandler(["connectionStatus"], help: "the connection's authenticated users and roles") { (context) throws(MongoError) -> BSONDocument in
            AuthCommands.connectionStatus(context, showPrivileges: try context.bool("showPrivileges") == true)
        },
        CommandHandler(["listCommands"], help: "every command and its description") { (context) throws(MongoError) -> BSONDocument in
            var commands = BSONDocument()
            for handler in CommandTable.handlers.sorted(by: { $0.names[0] < $1.names[0] }) {
                for name in handler.names where context.server.testCommandsEnabled || !TestCommands.names.contains(name) {
                    commands.append(name, .document([
                        "help": .string(handler.help), "adminOnly": .bool(false),
                        "requiresAuth": .bool(!AuthorizationTable.unauthenticated.contains(name)), "secondaryOk": .bool(true),
                    ]))
                }
            }
            return ["commands": .document(commands)]
        },
        CommandHandler(["hostInfo"], help: "the host's system and OS") { (_) throws(MongoError) -> BSONDocument in hostInfo() },
        CommandHandler(["replSetGetConfig"], help: "the (single-member) replica set's configuration") { (context) throws(MongoError) -> BSONDocument in
            guard context.database == "admin" else {
                throw MongoError(.unauthorized, "replSetGetConfig may only be run against the admin database.")
            }
            return ["config": .document(ReplicaSet.config(host: context.connection.localAddress))]
        },
        CommandHandler(["replSetGetStatus"], help: "the state of the (single-member) replica set") { (context) throws(MongoError) -> BSONDocument in
            guard context.database == "admin" else {
                throw MongoError(.unauthorized, "replSetGetStatus may only be run against the admin database.")
            }
            return ReplicaSet.status(host: context.connection.localAddress, latest: context.engine.latestCommitSequence,
                                     now: WallClock.now(), uptimeSeconds: context.server.uptime.components.seconds,
                                     startedAt: context.server.startedAt)
        },
    ]

    /// hello / isMaster.
    /// Awaitable (`topologyVersion` + `maxAwaitTimeMS`): the Server has already waited, so
    /// this answers with the topology as it is now (see ``AwaitableHello``).
    static func hello(_ context: CommandContext, legacyName: Bool) throws(MongoError) -> BSONDocument {
        try AwaitableHello.check(context.body, against: context.server.topology)
        if case let .document(client)? = context.body["client"], case let .document(application)? = client["application"],
           case let .string(name)? = application["name"] {
            context.server.setApplicationName(name, connection: context.connection.id)
        }
        var reply: BSONDocument = [:]
        if try context.bool("helloOk") == true { reply.append("helloOk", .bool(true)) }
        reply.append(legacyName ? "ismaster" : "isWritablePrimary", .bool(true))
        reply.append("topologyVersion", .document(context.server.topology.version.document))
        let now = WallClock.now()
        if context.engine.isShared {
            // Every server on a shared database accepts writes: drivers must see routers
            // (mongos), spread load over them and retry on another, not one primary.
            reply.append("msg", .string("isdbgrid"))
        } else {
            for field in ReplicaSet.helloFields(host: context.connection.localAddress,
                                                latest: context.engine.latestCommitSequence, wallTime: now) {
                reply.append(field.key, field.value)
            }
        }
        reply.append("maxBsonObjectSize", .int32(maxBsonObjectSize))
        reply.append("maxMessageSizeBytes", .int32(maxMessageSizeBytes))
        reply.append("maxWriteBatchSize", .int32(maxWriteBatchSize))
        reply.append("localTime", .datetime(now))
        reply.append("logicalSessionTimeoutMinutes", .int32(context.server.sessions.timeoutMinutes))
        reply.append("connectionId", connectionID(context.connection.id))
        reply.append("minWireVersion", .int32(0))
        reply.append("maxWireVersion", .int32(maxWireVersion))
        reply.append("readOnly", .bool(false))
        if let offered = try context.array("compression") {
            let names = Set(offered.compactMap(\.stringValue))
            let agreed = context.connection.availableCompressors.filter(names.contains)
            // The client's order decides; filter its list by what the server has.
            let ordered = offered.compactMap(\.stringValue).filter { agreed.contains($0) }
            var unique: [String] = []
            for name in ordered where !unique.contains(name) { unique.append(name) }
            if !unique.isEmpty { reply.append("compression", .array(unique.map { .string($0) })) }
        }
        for field in AuthCommands.helloFields(context) { reply.append(field.key, field.value) }
        return reply
    }

    private static func connectionID(_ id: Int64) -> BSONValue {
        if let small = Int32(exactly: id) { return .int32(small) }
        return .int64(id)
    }

    /// buildInfo.
    static func buildInfo(_ context: CommandContext) -> BSONDocument {
        let version = context.server.configuration.mongoVersion
        let os = SystemInfo.operatingSystem
        return [
            "version": .string(context.server.configuration.versionString),
            "gitVersion": "tessera",
            "tessera": .document(["version": .string(context.server.configuration.tesseraVersion)]),
            "versionArray": .array([.int32(version.major), .int32(version.minor), .int32(version.patch), .int32(0)]),
            "modules": .array([]),
            "allocator": "system",
            "javascriptEngine": "none",
            "sysInfo": "deprecated",
            "storageEngines": .array(["rocksdb"]),
            "buildEnvironment": .document(["target_os": .string(os.name.lowercased()), "target_arch": .string(os.machine)]),
            "bits": .int32(64),
            "debug": .bool(false),
            "maxBsonObjectSize": .int32(maxBsonObjectSize),
            "openssl": .document(["running": "disabled", "compiled": "disabled"]),
        ]
    }

    /// Fields any command may carry that are not its own arguments.
    static let genericFields: Set<String> = [
        "lsid", "txnNumber", "autocommit", "startTransaction", "comment", "maxTimeMS", "readConcern",
        "writeConcern", "apiVersion", "apiStrict", "apiDeprecationErrors", "$db", "$clusterTime",
        "$readPreference",
    ]

    /// hostInfo.
    static func hostInfo() -> BSONDocument {
        let os = SystemInfo.operatingSystem
        return [
            "system": .document([
                "currentTime": .datetime(WallClock.now()),
                "hostname": .string(SystemInfo.hostName),
                "cpuAddrSize": .int32(64),
                "memSizeMB": .int64(SystemInfo.memorySizeMiB),
                "memLimitMB": .int64(SystemInfo.memorySizeMiB),
                "numCores": .int32(Int32(SystemInfo.coreCount)),
                "cpuArch": .string(os.machine),
                "numaEnabled": .bool(false),
            ]),
            "os": .document(["type": .string(os.name), "name": .string(os.name), "version": .string(os.release)]),
            "extra": .document([:]),
        ]
    }
}
