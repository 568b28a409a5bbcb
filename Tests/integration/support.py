# Small helpers shared by the integration tests.

def count_matching(coll, filter=None) -> int:
    """Documents matching `filter`, counted from a find (pymongo's count_documents needs
    $group, which belongs to the aggregation issue; tests whose subject is not counting use
    this instead so they fail only for what they test)."""
    return sum(1 for _ in coll.find(filter or {}, {"_id": 1}))
