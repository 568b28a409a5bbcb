// OperationInterrupt: when a running operation must stop — its maxTimeMS deadline, killOp, or
// server shutdown. Commands builds one per request; Query and Documents only poll it, every
// few hundred documents or keys, through an InterruptPoll (cheap when there is no deadline).

public import BSON
import Synchronization

/// A flag another thread sets to stop an operation (killOp, shutdown).
///
/// Safe to share: its only state is an `Atomic`.
public final class KillSwitch: Sendable {
    private let killed = Atomic<Bool>(false)
    /// Why it was thrown, as MongoDB reports it (11601 Interrupted, 91 ShutdownInProgress).
    private let reason = Atomic<Int32>(0)

    /// A switch not yet thrown.
    public init() {}

    /// Whether it has been thrown.
    public var isKilled: Bool { killed.load(ordering: .acquiring) }

    /// Whether it was thrown by shutdown (rather than killOp).
    public var isKilledForShutdown: Bool { isKilled && reason.load(ordering: .relaxed) == 11600 }

    /// Throws it: every operation polling it stops at its next check with `Interrupted` (11601).
    public func kill() { killed.store(true, ordering: .releasing) }

    /// Throws it for server shutdown: operations stop with `InterruptedAtShutdown` (11600).
    public func killForShutdown() {
        reason.store(11600, ordering: .relaxed)
        killed.store(true, ordering: .releasing)
    }

    /// The error an operation stopped by this switch reports.
    var error: MongoError {
        reason.load(ordering: .relaxed) == 11600
            ? MongoError(.interruptedAtShutdown, "interrupted at shutdown")
            : MongoError(.interrupted, "operation was interrupted")
    }
}

/// When an operation must stop: a deadline (maxTimeMS) and a kill switch (killOp).
public struct OperationInterrupt: Sendable {
    /// When maxTimeMS runs out, if it was given.
    public let deadline: ContinuousClock.Instant?
    /// The operation's kill switch, if it can be killed.
    public let killSwitch: KillSwitch?
    /// Where the operation's scans count keys and documents examined (the profiler's and
    /// slow-operation log's figures), if anyone wants them.
    public let tally: OperationTally?

    /// An interrupt with the given deadline and switch, carrying `tally`.
    public init(deadline: ContinuousClock.Instant? = nil, killSwitch: KillSwitch? = nil, tally: OperationTally? = nil) {
        self.deadline = deadline
        self.killSwitch = killSwitch
        self.tally = tally
    }

    /// An interrupt that never fires (internal work, tests, the embedding API without limits).
    public static let none = OperationInterrupt()

    /// Whether it can ever fire.
    public var isActive: Bool { deadline != nil || killSwitch != nil }

    /// Throws when the operation must stop now.
    ///
    /// - Throws: `Interrupted` (11601) after killOp, `InterruptedAtShutdown` (11600) at
    ///   shutdown, `MaxTimeMSExpired` (50) past the deadline.
    public func check() throws(MongoError) {
        if let killSwitch, killSwitch.isKilled { throw killSwitch.error }
        if let deadline, ContinuousClock.now >= deadline {
            throw MongoError(.maxTimeMSExpired, "operation exceeded time limit")
        }
    }

    /// A poll that checks this interrupt every `interval` ticks.
    public func poll(every interval: Int = InterruptPoll.defaultInterval) -> InterruptPoll {
        InterruptPoll(self, interval: interval)
    }
}

/// Checks an interrupt every `interval` calls to `tick()`: a loop over client-sized work
/// holds one and ticks once per document or key.
public struct InterruptPoll: Sendable {
    /// How many ticks pass between checks by default.
    public static let defaultInterval = 256

    /// The interrupt polled.
    public let interrupt: OperationInterrupt
    private let interval: Int
    private var countdown: Int

    /// A poll of `interrupt`; the first check happens on the first tick.
    public init(_ interrupt: OperationInterrupt, interval: Int = InterruptPoll.defaultInterval) {
        self.interrupt = interrupt
        self.interval = max(1, interval)
        // An inactive interrupt never needs checking: count down from the largest value.
        self.countdown = interrupt.isActive ? 1 : Int.max
    }

    /// Counts one unit of work; checks the interrupt every `interval` units.
    @inline(__always)
    public mutating func tick() throws(MongoError) {
        countdown -= 1
        if countdown > 0 { return }
        countdown = interrupt.isActive ? interval : Int.max
        try interrupt.check()
    }
}
