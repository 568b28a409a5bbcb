// CursorStateMachine: the lifecycle of one server-side cursor — open (with the time it was
// last used), exhausted, or killed — and the only transitions between them. The registry
// drives it; tests drive it without a store.

/// Why a cursor stopped existing.
enum CursorEndReason: Sendable, Equatable {
    /// Every document was returned.
    case exhausted
    /// killCursors, killSessions or endSessions.
    case killed
    /// Idle past the cursor timeout.
    case timedOut
}

/// The state of one cursor.
struct CursorStateMachine: Sendable {
    /// Where the cursor is in its life.
    enum State: Sendable, Equatable {
        /// Documents remain; `lastUsed` is when a batch was last taken.
        case open(lastUsed: ContinuousClock.Instant)
        /// Gone; any further use answers CursorNotFound.
        case closed(CursorEndReason)
    }

    /// What a getMore may do.
    enum BatchAction: Sendable, Equatable {
        /// Return a batch.
        case returnBatch
        /// The cursor is gone.
        case cursorNotFound
    }

    private(set) var state: State
    /// Exempt from the idle timeout (`noCursorTimeout`).
    let noTimeout: Bool

    /// A cursor opened at `now`.
    init(openedAt now: ContinuousClock.Instant, noTimeout: Bool) {
        state = .open(lastUsed: now)
        self.noTimeout = noTimeout
    }

    /// Whether the cursor can still return documents.
    var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// A getMore arrives: it may proceed only on an open cursor.
    func beginBatch() -> BatchAction {
        isOpen ? .returnBatch : .cursorNotFound
    }

    /// A batch was taken at `now`; `remaining` says whether documents are left.
    mutating func finishBatch(at now: ContinuousClock.Instant, remaining: Bool) {
        guard isOpen else { return }
        state = remaining ? .open(lastUsed: now) : .closed(.exhausted)
    }

    /// Kills the cursor; returns whether it was open.
    @discardableResult
    mutating func kill() -> Bool {
        guard isOpen else { return false }
        state = .closed(.killed)
        return true
    }

    /// Times the cursor out if it has been idle for `timeout` at `now` (never with
    /// `noTimeout`); returns whether it did.
    mutating func expireIfIdle(at now: ContinuousClock.Instant, timeout: Duration) -> Bool {
        guard !noTimeout, case let .open(lastUsed) = state, now - lastUsed >= timeout else { return false }
        state = .closed(.timedOut)
        return true
    }
}
