// SpillBudget: the process's allowance for spill files — how many may be open and how many
// bytes they may hold at once, over every operation of every client. Any client may run
// `allowDiskUse` stages, so without it a few concurrent sorts could fill the disk or use up
// file descriptors. A spill past the allowance fails with OutOfDiskSpace (14031), the code
// mongod answers when spilling would leave too little disk.

internal import BSON
import Synchronization

/// The shared allowance spill files draw on; every ``SpillFile`` holds one file slot and
/// reserves its bytes before writing them, and gives both back when it goes away.
public final class SpillBudget: Sendable {
    /// The allowance of this process.
    public static let process = SpillBudget()

    /// The default of ``maximumBytes``: 64 GiB.
    public static let defaultMaximumBytes = 64 << 30
    /// The default of ``maximumFiles``.
    public static let defaultMaximumFiles = 1024

    private struct State: Sendable {
        var files = 0
        var bytes = 0
        var maximumFiles = SpillBudget.defaultMaximumFiles
        var maximumBytes = SpillBudget.defaultMaximumBytes
    }

    private let state = Mutex(State())

    /// A budget with the default limits.
    public init() {}

    /// Sets the limits; spill files already open keep what they hold.
    public func configure(maximumBytes: Int, maximumFiles: Int) {
        state.withLock {
            $0.maximumBytes = max(0, maximumBytes)
            $0.maximumFiles = max(0, maximumFiles)
        }
    }

    /// Spill files open now and the bytes they hold, for serverStatus and tests.
    public var usage: (files: Int, bytes: Int) {
        state.withLock { ($0.files, $0.bytes) }
    }

    /// Takes one file slot.
    ///
    /// - Throws: `OutOfDiskSpace` (14031) when every slot is taken.
    func openFile() throws(MongoError) {
        try state.withLock { (state) throws(MongoError) in
            guard state.files < state.maximumFiles else {
                throw MongoError(.outOfDiskSpace,
                                 "Cannot spill to disk: \(state.files) spill files are open, the most allowed at once")
            }
            state.files += 1
        }
    }

    /// Reserves `count` more bytes for an open file.
    ///
    /// - Throws: `OutOfDiskSpace` (14031) when the spill files would hold more than allowed.
    func reserve(_ count: Int) throws(MongoError) {
        try state.withLock { (state) throws(MongoError) in
            guard count <= state.maximumBytes - state.bytes else {
                throw MongoError(.outOfDiskSpace,
                                 "Cannot spill to disk: spill files would hold more than \(state.maximumBytes) bytes at once")
            }
            state.bytes += count
        }
    }

    /// Gives back a file's slot and the bytes it reserved.
    func closeFile(releasing count: Int) {
        state.withLock {
            $0.files -= 1
            $0.bytes -= count
        }
    }
}
