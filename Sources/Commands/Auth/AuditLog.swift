// The audit log file (`--audit-log FILE`): appends one JSON line per event in MongoDB's JSON
// audit shape (atype, ts, local, remote, users, roles, param, result). Commands only queue a
// line; one serial writer appends it, so a slow disk never holds a command for long, and a file
// that cannot be written is reported in the server log (once per outage), never fatal.

import BSON
import Dispatch
import Glibc
import Logging
import Query
import Synchronization

/// One audited event before it is stamped and written.
struct AuditEvent: Sendable {
    /// MongoDB's `atype`: `authenticate`, `authCheck`, `createUser`, `createCollection`, …
    var atype: String
    /// What the event was about (`{user, db, mechanism}`, `{ns}`, `{command, ns, args}`, …).
    var param: BSONDocument
    /// 0 for success, else the error code the client got (18, 13).
    var result: Int32 = 0
}

/// The audit log of one server.
final class AuditLog: Sendable {
    /// The most lines waiting for the writer; past it lines are dropped and counted (the count
    /// goes to the server log), so a stalled disk cannot grow memory without bound.
    static let maxPending = 10_000

    /// The file's path.
    let path: String
    private let logger: Logger
    private let queue = DispatchQueue(label: "tessera.audit-log")
    private let writer: Writer

    /// An audit log appending to `path` (created 0600 when missing; opened on first write).
    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
        writer = Writer(path: path)
    }

    /// Lines still queued when the server lets go of its log are written before it goes.
    deinit {
        queue.sync {}
    }

    /// Records `event` as seen on `connection` by `users` (with their roles).
    func record(_ event: AuditEvent, connection: ConnectionInfo, users: [UserName: [RoleName]], at time: BSONDateTime = WallClock.now()) {
        append(Self.line(event, connection: connection, users: users, at: time))
    }

    /// The JSON line for an event.
    static func line(_ event: AuditEvent, connection: ConnectionInfo, users: [UserName: [RoleName]], at time: BSONDateTime) -> String {
        let names = users.keys.sorted()
        let roles = Set(users.values.flatMap { $0 }).sorted()
        let document: BSONDocument = [
            "atype": .string(event.atype),
            "ts": .datetime(time),
            "local": .document(endpoint(connection.localAddress)),
            "remote": .document(endpoint(connection.remoteAddress)),
            "users": .array(names.map { .document(["user": .string($0.user), "db": .string($0.db)]) }),
            "roles": .array(roles.map { .document($0.document) }),
            "param": .document(event.param),
            "result": .int32(event.result),
        ]
        return document.extendedJSON(.relaxed)
    }

    /// `{ip, port}` of a `host:port` address.
    static func endpoint(_ address: String) -> BSONDocument {
        let (host, port) = splitHostPort(address)
        var endpoint: BSONDocument = ["ip": .string(host)]
        if let port { endpoint.append("port", .int32(port)) }
        return endpoint
    }

    /// Queues one line for the writer.
    func append(_ line: String) {
        let accepted = writer.pending.withLock { pending in
            guard pending.waiting < Self.maxPending else {
                pending.dropped += 1
                return false
            }
            pending.waiting += 1
            return true
        }
        guard accepted else { return }
        queue.async { [writer, logger, path] in
            let dropped = writer.pending.withLock { pending in
                pending.waiting -= 1
                defer { pending.dropped = 0 }
                return pending.dropped
            }
            if dropped > 0 {
                logger.error("audit log writer fell behind: lines dropped", metadata: ["path": "\(path)", "dropped": "\(dropped)"])
            }
            writer.write(line + "\n", logger: logger)
        }
    }

    /// Waits until every queued line has been written (or has failed).
    func flush() {
        queue.sync {}
    }

    /// The file descriptor and its failure state, used only from the writer's queue (the
    /// mutex makes that safe to state, not contended), and the count of queued lines.
    private final class Writer: Sendable {
        private struct State {
            var descriptor: Int32 = -1
            var failing = false
        }

        let path: String
        private let state = Mutex(State())
        /// Lines queued and not yet written; lines dropped since the writer last looked.
        let pending = Mutex<(waiting: Int, dropped: Int)>((0, 0))

        init(path: String) {
            self.path = path
        }

        deinit {
            state.withLock { state in
                if state.descriptor >= 0 { close(state.descriptor) }
            }
        }

        /// Appends `text`; on failure logs once (until a write succeeds again), closes the
        /// file so the next line reopens it, and drops the line.
        func write(_ text: String, logger: Logger) {
            state.withLock { state in
                if state.descriptor < 0 {
                    state.descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
                }
                var failure: Int32 = 0
                if state.descriptor < 0 {
                    failure = errno
                } else {
                    failure = Self.writeAll(state.descriptor, Array(text.utf8))
                }
                if failure == 0 {
                    if state.failing { logger.notice("audit log writable again", metadata: ["path": "\(path)"]) }
                    state.failing = false
                    return
                }
                if state.descriptor >= 0 {
                    close(state.descriptor)
                    state.descriptor = -1
                }
                if !state.failing {
                    logger.error("cannot write the audit log; events are lost until it works again", metadata: [
                        "path": "\(path)", "error": "\(String(cString: strerror(failure)))",
                    ])
                }
                state.failing = true
            }
        }

        /// Writes every byte (retrying short writes and EINTR); 0 or the errno.
        private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32 {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress.map { $0 + offset }, bytes.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return 0
        }
    }
}
