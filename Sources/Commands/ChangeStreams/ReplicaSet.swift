// ReplicaSet: how Tessera presents itself as a single-node replica set (set name, election
// id, the member document) so drivers allow change streams, transactions and retryable
// writes; and cluster time, which is the change log's sequence number in a BSON Timestamp.

import BSON
import Documents

/// The one-member replica set a Tessera server is.
enum ReplicaSet {
    /// `setName` in hello.
    static let name = "tessera"
    /// The configuration version (`setVersion`).
    static let version: Int32 = 1
    /// The primary's term: one, forever.
    static let term: Int64 = 1
    /// `electionId`: MongoDB's is the max-int prefix and the term.
    static let electionID = ObjectId(hex: "7fffffff0000000000000001") ?? ObjectId()

    /// The cluster time of change log sequence `sequence`: the sequence is the timestamp's
    /// 64-bit value, offset by one second so no time is the null Timestamp(0, 0).
    static func clusterTime(_ sequence: UInt64) -> BSONTimestamp {
        BSONTimestamp(timestamp: UInt32(truncatingIfNeeded: sequence >> 32) &+ 1, increment: UInt32(truncatingIfNeeded: sequence))
    }

    /// The sequence number a cluster time stands for (0 for times before the first write).
    static func sequence(_ time: BSONTimestamp) -> UInt64 {
        guard time.timestamp > 0 else { return 0 }
        return UInt64(time.timestamp - 1) << 32 | UInt64(time.increment)
    }

    /// `$clusterTime` as replies carry it: the time and a (zero) signature, as an
    /// unauthenticated mongod sends.
    static func clusterTimeDocument(_ sequence: UInt64) -> BSONDocument {
        [
            "clusterTime": .timestamp(clusterTime(sequence)),
            "signature": .document([
                "hash": .binary(BSONBinary(subtype: .generic, bytes: [UInt8](repeating: 0, count: 20))),
                "keyId": .int64(0),
            ]),
        ]
    }

    /// The optime `{ts, t}` of sequence `sequence`.
    static func opTime(_ sequence: UInt64) -> BSONDocument {
        ["ts": .timestamp(clusterTime(sequence)), "t": .int64(term)]
    }

    /// hello's replica-set fields for a server reached at `host` (`host:port`).
    static func helloFields(host: String, latest: UInt64, wallTime: BSONDateTime) -> BSONDocument {
        [
            "hosts": .array([.string(host)]),
            "setName": .string(name),
            "setVersion": .int32(version),
            "secondary": .bool(false),
            "primary": .string(host),
            "me": .string(host),
            "electionId": .objectId(electionID),
            "lastWrite": .document([
                "opTime": .document(opTime(latest)), "lastWriteDate": .datetime(wallTime),
                "majorityOpTime": .document(opTime(latest)), "majorityWriteDate": .datetime(wallTime),
            ]),
        ]
    }

    /// replSetGetStatus for a server reached at `host`.
    static func status(host: String, latest: UInt64, now: BSONDateTime, uptimeSeconds: Int64, startedAt: BSONDateTime) -> BSONDocument {
        let optime = opTime(latest)
        return [
            "set": .string(name),
            "date": .datetime(now),
            "myState": .int32(1),
            "term": .int64(term),
            "heartbeatIntervalMillis": .int64(2000),
            "majorityVoteCount": .int32(1),
            "writeMajorityCount": .int32(1),
            "votingMembersCount": .int32(1),
            "writableVotingMembersCount": .int32(1),
            "optimes": .document([
                "lastCommittedOpTime": .document(optime), "lastCommittedWallTime": .datetime(now),
                "readConcernMajorityOpTime": .document(optime), "appliedOpTime": .document(optime),
                "durableOpTime": .document(optime), "lastAppliedWallTime": .datetime(now),
                "lastDurableWallTime": .datetime(now),
            ]),
            "members": .array([.document([
                "_id": .int32(0),
                "name": .string(host),
                "health": .double(1),
                "state": .int32(1),
                "stateStr": "PRIMARY",
                "uptime": .int64(uptimeSeconds),
                "optime": .document(optime),
                "optimeDate": .datetime(now),
                "lastAppliedWallTime": .datetime(now),
                "lastDurableWallTime": .datetime(now),
                "syncSourceHost": "",
                "syncSourceId": .int32(-1),
                "infoMessage": "",
                "electionTime": .timestamp(clusterTime(0)),
                "electionDate": .datetime(startedAt),
                "configVersion": .int32(version),
                "configTerm": .int64(term),
                "self": .bool(true),
                "lastHeartbeatMessage": "",
            ])]),
        ]
    }

    /// replSetGetConfig's `config` for a server reached at `host`: the one-member set hello
    /// reports, with mongod's defaults for every member and settings field.
    static func config(host: String) -> BSONDocument {
        [
            "_id": .string(name),
            "version": .int32(version),
            "term": .int64(term),
            "members": .array([.document([
                "_id": .int32(0),
                "host": .string(host),
                "arbiterOnly": .bool(false),
                "buildIndexes": .bool(true),
                "hidden": .bool(false),
                "priority": .double(1),
                "tags": .document([:]),
                "secondaryDelaySecs": .int64(0),
                "votes": .int32(1),
            ])]),
            "protocolVersion": .int64(1),
            "writeConcernMajorityJournalDefault": .bool(true),
            "settings": .document([
                "chainingAllowed": .bool(true),
                "heartbeatIntervalMillis": .int32(2000),
                "heartbeatTimeoutSecs": .int32(10),
                "electionTimeoutMillis": .int32(10000),
                "catchUpTimeoutMillis": .int32(-1),
                "catchUpTakeoverDelayMillis": .int32(30000),
                "getLastErrorModes": .document([:]),
                "getLastErrorDefaults": .document(["w": .int32(1), "wtimeout": .int32(0)]),
                "replicaSetId": .objectId(electionID),
            ]),
        ]
    }
}
