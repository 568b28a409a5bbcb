// `--until` parsing for point-in-time restores: an operation time `T:I` is the change log
// sequence replies show as `operationTime`; an ISO 8601 date is a wall-clock moment (UTC unless
// it carries an offset); anything else is BadValue.

import BSON
import Query
import TestSupport
import Testing

@Suite struct RestorePointTests {
    @Test func operationTimeNamesTheSequenceRepliesShow() throws {
        #expect(try QueryEngine.restorePoint(parsing: "1:1234") == .sequence(1234))
        #expect(try QueryEngine.restorePoint(parsing: "2:5") == .sequence(1 << 32 | 5))
        #expect(ClusterTime.timestamp(ofSequence: 1234) == BSONTimestamp(timestamp: 1, increment: 1234))
    }

    @Test func isoDatesAreUTCUnlessTheyCarryAnOffset() throws {
        #expect(try QueryEngine.restorePoint(parsing: "1970-01-02T00:00:00Z")
                == .wallTime(BSONDateTime(millisecondsSinceEpoch: 86_400_000)))
        #expect(try QueryEngine.restorePoint(parsing: "1970-01-02T01:00:00+01:00")
                == .wallTime(BSONDateTime(millisecondsSinceEpoch: 86_400_000)))
    }

    @Test func anythingElseIsBadValue() {
        for text in ["", "12", "1:2:3", "-1:2", "yesterday", "2025-13-01T00:00:00Z"] {
            #expect(mongoErrorCode { _ = try QueryEngine.restorePoint(parsing: text) } == 2, "\(text)")
        }
    }
}
