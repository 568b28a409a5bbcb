// TesseraClient.serve: the client's own engine served to MongoDB drivers over the wire
// protocol (the Server layer's TesseraServer over a Commands store sharing the engine, the one
// use of Commands and Server in this module), while the program goes on
// using the store embedded. The handle stops the server; closing the client stops it too.

import Commands
import Server

extension TesseraClient {
    /// Serves this store to MongoDB drivers on `host`:`port` until the calling task is
    /// cancelled or the client is closed; embedded use goes on meanwhile, on the same engine.
    ///
    /// - Parameters:
    ///   - host: The address to listen on; a loopback address unless `insecureNoAuth`, as
    ///     the served store has no authentication.
    ///   - port: The TCP port (0 picks a free one; see ``startServer(host:port:insecureNoAuth:)``
    ///     to learn it).
    ///   - insecureNoAuth: Allow a non-loopback `host`: every client that reaches the port can
    ///     then read and drop all data.
    /// - Throws: `IllegalOperation` (20) for a non-loopback host without `insecureNoAuth`,
    ///   `InternalError` (1) when the port cannot be bound.
    public func serve(host: String = "127.0.0.1", port: Int = 27017, insecureNoAuth: Bool = false) async throws(TesseraError) {
        let server = try await startServer(host: host, port: port, insecureNoAuth: insecureNoAuth)
        await withTaskCancellationHandler {
            await server.waitUntilStopped()
        } onCancel: {
            server.stopInBackground()
        }
    }

    /// Starts serving this store to MongoDB drivers on `host`:`port` and returns once the
    /// server listens; the handle tells the port and stops the server.
    ///
    /// - Throws: as ``serve(host:port:insecureNoAuth:)``.
    public func startServer(host: String = "127.0.0.1", port: Int = 27017,
                            insecureNoAuth: Bool = false) async throws(TesseraError) -> TesseraServerHandle {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(host) || host.hasPrefix("127.")
        guard loopback || insecureNoAuth else {
            throw TesseraError(code: 20, codeName: "IllegalOperation",
                               message: "refusing to serve on \(host) without authentication: anyone reaching the port could read and drop every database (pass insecureNoAuth: true to accept that)")
        }
        guard (0...65535).contains(port) else { throw .badValue("port \(port) is out of range") }
        let server = TesseraServer(configuration: ServerConfiguration(host: host, port: port, dbPath: path),
                                   sharing: CommandStore(engine: try engine()))
        let task = Task { try await server.run() }
        let bound: Int
        do {
            bound = try await server.boundPort()
        } catch {
            task.cancel()
            throw TesseraError(code: 1, codeName: "InternalError", message: "cannot serve on \(host):\(port): \(error)")
        }
        let handle = TesseraServerHandle(host: host, port: bound, task: task)
        do throws(TesseraError) {
            try serverStarted(handle)
        } catch {
            await handle.stop()
            throw error
        }
        Task { [weak self] in
            await handle.waitUntilStopped()
            self?.serverStopped(handle)
        }
        return handle
    }
}

/// A server started by ``TesseraClient/startServer(host:port:insecureNoAuth:)``.
public final class TesseraServerHandle: Sendable {
    /// The address it listens on.
    public let host: String
    /// The TCP port it listens on (the one picked when 0 was asked).
    public let port: Int
    private let task: Task<Void, any Error>

    init(host: String, port: Int, task: Task<Void, any Error>) {
        self.host = host
        self.port = port
        self.task = task
    }

    /// `mongodb://host:port`, for a driver.
    public var connectionString: String {
        host.contains(":") ? "mongodb://[\(host)]:\(port)" : "mongodb://\(host):\(port)"
    }

    /// Stops accepting connections, lets running requests finish (at most 5 s), and returns
    /// once the server has stopped. The store stays open for embedded use.
    public func stop() async {
        task.cancel()
        await waitUntilStopped()
    }

    /// Returns once the server has stopped.
    public func waitUntilStopped() async {
        _ = await task.result
    }

    /// Starts stopping the server without waiting.
    func stopInBackground() {
        task.cancel()
    }
}
