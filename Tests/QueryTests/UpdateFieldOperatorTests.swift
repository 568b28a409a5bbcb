// $set, $unset, $setOnInsert, $inc, $mul, $min, $max, $rename, $currentDate and $bit on
// existing documents. Expected documents follow MongoDB's operator reference pages
// (their examples where they have one) and its 5.0+ field order rules.

import BSON
import Documents
import Testing
@testable import Query

@Suite struct UpdateFieldOperatorTests {
    static let product = #"""
        {"_id": 100, "quantity": 250, "instock": true, "reorder": false,
         "details": {"model": "14QQ", "make": "Clothes Corp"},
         "tags": ["apparel", "clothing"], "ratings": [{"by": "Customer007", "rating": 4}]}
        """#

    static let setCases: [UpdateCase] = [
        UpdateCase("$set top-level fields (docs example)", product,
                   #"{"$set": {"quantity": 500, "details": {"model": "2600", "make": "Fashionaires"}, "tags": ["coats", "outerwear", "clothing"]}}"#,
                   after: #"""
                   {"_id": 100, "quantity": 500, "instock": true, "reorder": false,
                    "details": {"model": "2600", "make": "Fashionaires"},
                    "tags": ["coats", "outerwear", "clothing"], "ratings": [{"by": "Customer007", "rating": 4}]}
                   """#),
        UpdateCase("$set a field in an embedded document (docs example)", product,
                   #"{"$set": {"details.make": "Kustom Kidz"}}"#,
                   after: #"""
                   {"_id": 100, "quantity": 250, "instock": true, "reorder": false,
                    "details": {"model": "14QQ", "make": "Kustom Kidz"},
                    "tags": ["apparel", "clothing"], "ratings": [{"by": "Customer007", "rating": 4}]}
                   """#),
        UpdateCase("$set array elements by index (docs example)", product,
                   #"{"$set": {"tags.1": "rain gear", "ratings.0.rating": 2}}"#,
                   after: #"""
                   {"_id": 100, "quantity": 250, "instock": true, "reorder": false,
                    "details": {"model": "14QQ", "make": "Clothes Corp"},
                    "tags": ["apparel", "rain gear"], "ratings": [{"by": "Customer007", "rating": 2}]}
                   """#),
        UpdateCase("$set appends a missing field", #"{"_id": 1, "a": 1}"#, #"{"$set": {"b": 2}}"#,
                   after: #"{"_id": 1, "a": 1, "b": 2}"#),
        UpdateCase("$set appends new fields in lexicographic order", #"{"_id": 1}"#,
                   #"{"$set": {"c": 3, "a": 1, "b": 2}}"#, after: #"{"_id": 1, "a": 1, "b": 2, "c": 3}"#),
        UpdateCase("$set orders numeric field names numerically", #"{"_id": 1}"#,
                   #"{"$set": {"x.10": 1, "x.9": 2}}"#, after: #"{"_id": 1, "x": {"9": 2, "10": 1}}"#),
        UpdateCase("$set keeps an existing field in place", #"{"_id": 1, "a": 1, "b": 2}"#,
                   #"{"$set": {"a": 10}}"#, after: #"{"_id": 1, "a": 10, "b": 2}"#),
        UpdateCase("$set creates embedded documents along a dotted path", #"{"_id": 1}"#,
                   #"{"$set": {"a.b.c": 1}}"#, after: #"{"_id": 1, "a": {"b": {"c": 1}}}"#),
        UpdateCase("$set creates several fields under one new parent", #"{"_id": 1}"#,
                   #"{"$set": {"x.b": 2, "x.a": 1}}"#, after: #"{"_id": 1, "x": {"a": 1, "b": 2}}"#),
        UpdateCase("$set a numeric component on a missing field makes an object field", #"{"_id": 1}"#,
                   #"{"$set": {"a.5": 1}}"#, after: #"{"_id": 1, "a": {"5": 1}}"#),
        UpdateCase("$set a numeric component on an object makes a field", #"{"_id": 1, "a": {"x": 1}}"#,
                   #"{"$set": {"a.0": 1}}"#, after: #"{"_id": 1, "a": {"x": 1, "0": 1}}"#),
        UpdateCase("$set past the end of an array pads with nulls", #"{"_id": 1, "a": [1, 2]}"#,
                   #"{"$set": {"a.5": 9}}"#, after: #"{"_id": 1, "a": [1, 2, null, null, null, 9]}"#),
        UpdateCase("$set just past the end of an array appends", #"{"_id": 1, "a": [1, 2]}"#,
                   #"{"$set": {"a.2": 3}}"#, after: #"{"_id": 1, "a": [1, 2, 3]}"#),
        UpdateCase("$set through a padded array index creates a document", #"{"_id": 1, "a": [{"x": 0}]}"#,
                   #"{"$set": {"a.1.z": 17}}"#, after: #"{"_id": 1, "a": [{"x": 0}, {"z": 17}]}"#),
        UpdateCase("$set into an array element's document", #"{"_id": 1, "a": [{"x": 3}]}"#,
                   #"{"$set": {"a.0.y": 7}}"#, after: #"{"_id": 1, "a": [{"x": 3, "y": 7}]}"#),
        UpdateCase("$set replaces an array element", #"{"_id": 1, "a": [{"x": 3}, {"z": 1}]}"#,
                   #"{"$set": {"a.1": "test"}}"#, after: #"{"_id": 1, "a": [{"x": 3}, "test"]}"#),
        UpdateCase("$set to the same value is a no-op", #"{"_id": 1, "a": 42}"#, #"{"$set": {"a": 42}}"#, after: nil),
        UpdateCase("$set to an equal number of another type changes the type", #"{"_id": 1, "a": 42}"#,
                   #"{"$set": {"a": 42.0}}"#, after: #"{"_id": 1, "a": 42.0}"#),
        UpdateCase("$set of an identical embedded document is a no-op", #"{"_id": 1, "a": {"b": 1, "c": [1]}}"#,
                   #"{"$set": {"a": {"b": 1, "c": [1]}}}"#, after: nil),
        UpdateCase("$set of a reordered embedded document changes it", #"{"_id": 1, "a": {"b": 1, "c": 2}}"#,
                   #"{"$set": {"a": {"c": 2, "b": 1}}}"#, after: #"{"_id": 1, "a": {"c": 2, "b": 1}}"#),
        UpdateCase("$set _id to its own value is allowed", #"{"_id": 1, "a": 5}"#,
                   #"{"$set": {"_id": 1, "b": 3}}"#, after: #"{"_id": 1, "a": 5, "b": 3}"#),
        UpdateCase("$set null", #"{"_id": 1, "other": {"foo": 42}}"#, #"{"$set": {"other": null}}"#,
                   after: #"{"_id": 1, "other": null}"#),
        UpdateCase("$set may store a $-prefixed field inside an embedded document", #"{"_id": 1}"#,
                   #"{"$set": {"a": {"$b": 1}}}"#, after: #"{"_id": 1, "a": {"$b": 1}}"#),
        UpdateCase("empty $set is a no-op (MongoDB 5.0+)", #"{"_id": 1, "a": 1}"#, #"{"$set": {}}"#, after: nil),
        UpdateCase("$setOnInsert does nothing to an existing document", #"{"_id": 1, "a": 1}"#,
                   #"{"$setOnInsert": {"a": 5, "b": 2}}"#, after: nil),
        UpdateCase("$setOnInsert beside $set only applies $set", #"{"_id": 1, "b": 3}"#,
                   #"{"$set": {"b": 4}, "$setOnInsert": {"a": 5}}"#, after: #"{"_id": 1, "b": 4}"#),
    ]

    @Test(arguments: setCases) func set(_ testCase: UpdateCase) { testCase.check() }

    static let unsetCases: [UpdateCase] = [
        UpdateCase("$unset fields (docs example)", product, #"{"$unset": {"quantity": "", "instock": ""}}"#,
                   after: #"""
                   {"_id": 100, "reorder": false, "details": {"model": "14QQ", "make": "Clothes Corp"},
                    "tags": ["apparel", "clothing"], "ratings": [{"by": "Customer007", "rating": 4}]}
                   """#),
        UpdateCase("$unset an embedded field", #"{"_id": 1, "a": {"b": "foo", "c": "bar"}}"#,
                   #"{"$unset": {"a.b": 1}}"#, after: #"{"_id": 1, "a": {"c": "bar"}}"#),
        UpdateCase("$unset of a missing field is a no-op", #"{"_id": 1, "a": 1}"#, #"{"$unset": {"b": ""}}"#, after: nil),
        UpdateCase("$unset through a scalar is a no-op", #"{"_id": 1, "a": 1, "c": "value"}"#,
                   #"{"$unset": {"a.b.z": 1, "c.y": 1}}"#, after: nil),
        UpdateCase("$unset of an array element sets it to null", #"{"_id": 1, "a": [{"x": 0}]}"#,
                   #"{"$unset": {"a.0": 1}}"#, after: #"{"_id": 1, "a": [null]}"#),
        UpdateCase("$unset inside an array element", #"{"_id": 1, "a": [{"x": 0}]}"#,
                   #"{"$unset": {"a.0.x": 1}}"#, after: #"{"_id": 1, "a": [{}]}"#),
        UpdateCase("$unset past the end of an array is a no-op", #"{"_id": 1, "a": [null]}"#,
                   #"{"$unset": {"a.10": 1}}"#, after: nil),
        UpdateCase("$unset may remove a stored $-prefixed field", #"{"_id": 1, "x": 1, "$z": 1}"#,
                   #"{"$unset": {"$z": 1}}"#, after: #"{"_id": 1, "x": 1}"#),
    ]

    @Test(arguments: unsetCases) func unset(_ testCase: UpdateCase) { testCase.check() }

    static let arithmeticCases: [UpdateCase] = [
        UpdateCase("$inc docs example", #"{"_id": 1, "sku": "abc123", "quantity": 10, "metrics": {"orders": 2, "ratings": 3.5}}"#,
                   #"{"$inc": {"quantity": -2, "metrics.orders": 1}}"#,
                   after: #"{"_id": 1, "sku": "abc123", "quantity": 8, "metrics": {"orders": 3, "ratings": 3.5}}"#),
        UpdateCase("$inc creates a missing field with the increment", #"{"_id": 1}"#, #"{"$inc": {"a": 5}}"#,
                   after: #"{"_id": 1, "a": 5}"#),
        UpdateCase("$inc creates a missing embedded field", #"{"_id": 1}"#, #"{"$inc": {"a.b": 1.5}}"#,
                   after: #"{"_id": 1, "a": {"b": 1.5}}"#),
        UpdateCase("$inc by 0 is a no-op", #"{"_id": 1, "a": 5}"#, #"{"$inc": {"a": 0}}"#, after: nil),
        UpdateCase("$inc of an int by a double is a double", #"{"_id": 1, "a": 0}"#, #"{"$inc": {"a": 0.5}}"#,
                   after: #"{"_id": 1, "a": 0.5}"#),
        UpdateCase("$inc of an int32 past its range is an int64", #"{"_id": 1, "a": 2147483647}"#, #"{"$inc": {"a": 1}}"#,
                   after: #"{"_id": 1, "a": {"$numberLong": "2147483648"}}"#),
        UpdateCase("$inc of an int32 below its range is an int64", #"{"_id": 1, "a": -2147483648}"#, #"{"$inc": {"a": -1}}"#,
                   after: #"{"_id": 1, "a": {"$numberLong": "-2147483649"}}"#),
        UpdateCase("$inc of an int64 by an int32 stays int64", #"{"_id": 1, "a": {"$numberLong": "5"}}"#,
                   #"{"$inc": {"a": 1}}"#, after: #"{"_id": 1, "a": {"$numberLong": "6"}}"#),
        UpdateCase("$inc of an int32 by an int64 is an int64", #"{"_id": 1, "a": 5}"#,
                   #"{"$inc": {"a": {"$numberLong": "1"}}}"#, after: #"{"_id": 1, "a": {"$numberLong": "6"}}"#),
        UpdateCase("$inc of a decimal by an int", #"{"_id": 1, "a": {"$numberDecimal": "1.5"}}"#, #"{"$inc": {"a": 2}}"#,
                   after: #"{"_id": 1, "a": {"$numberDecimal": "3.5"}}"#),
        UpdateCase("$inc of an int by a decimal", #"{"_id": 1, "a": 1}"#, #"{"$inc": {"a": {"$numberDecimal": "0.25"}}}"#,
                   after: #"{"_id": 1, "a": {"$numberDecimal": "1.25"}}"#),
        UpdateCase("$inc of a decimal by a decimal zero with more digits is a no-op",
                   #"{"_id": 1, "a": {"$numberDecimal": "1.0"}}"#, #"{"$inc": {"a": {"$numberDecimal": "0.00"}}}"#, after: nil),
        UpdateCase("$inc of a double by a decimal rounds the double to 15 digits", #"{"_id": 1, "a": 0.1}"#,
                   #"{"$inc": {"a": {"$numberDecimal": "1"}}}"#,
                   after: #"{"_id": 1, "a": {"$numberDecimal": "1.100000000000000"}}"#),
        UpdateCase("$inc an array element", #"{"_id": 1, "a": [1, 2, 3]}"#, #"{"$inc": {"a.1": 10}}"#,
                   after: #"{"_id": 1, "a": [1, 12, 3]}"#),
        UpdateCase("$mul docs example with decimals", #"{"_id": 1, "item": "Hats", "price": {"$numberDecimal": "10.99"}, "quantity": 25}"#,
                   #"{"$mul": {"price": {"$numberDecimal": "1.25"}, "quantity": 2}}"#,
                   after: #"{"_id": 1, "item": "Hats", "price": {"$numberDecimal": "13.7375"}, "quantity": 50}"#),
        UpdateCase("$mul of a missing field creates zero of the factor's type (docs example)", #"{"_id": 2, "item": "Unknown"}"#,
                   #"{"$mul": {"price": {"$numberLong": "100"}}}"#,
                   after: #"{"_id": 2, "item": "Unknown", "price": {"$numberLong": "0"}}"#),
        UpdateCase("$mul mixed types (docs example)", #"{"_id": 3, "item": "Scarf", "price": {"$numberLong": "10"}}"#,
                   #"{"$mul": {"price": 5}}"#, after: #"{"_id": 3, "item": "Scarf", "price": {"$numberLong": "50"}}"#),
        UpdateCase("$mul of a missing field by an int32 creates int32 0", #"{"_id": 1}"#, #"{"$mul": {"a": 2}, "$set": {"b": 2}}"#,
                   after: #"{"_id": 1, "a": 0, "b": 2}"#),
        UpdateCase("$mul of an int by a double is a double", #"{"_id": 1, "b": 2}"#, #"{"$mul": {"b": 2.5}}"#,
                   after: #"{"_id": 1, "b": 5.0}"#),
        UpdateCase("$mul of an int32 past its range is an int64", #"{"_id": 1, "a": 65536}"#, #"{"$mul": {"a": 65536}}"#,
                   after: #"{"_id": 1, "a": {"$numberLong": "4294967296"}}"#),
        UpdateCase("$mul by 1 is a no-op", #"{"_id": 1, "a": 7}"#, #"{"$mul": {"a": 1}}"#, after: nil),
        UpdateCase("$bit and (docs example)", #"{"_id": 1, "expdata": 13}"#, #"{"$bit": {"expdata": {"and": 10}}}"#,
                   after: #"{"_id": 1, "expdata": 8}"#),
        UpdateCase("$bit or of an int64 (docs example)", #"{"_id": 2, "expdata": {"$numberLong": "3"}}"#,
                   #"{"$bit": {"expdata": {"or": 5}}}"#, after: #"{"_id": 2, "expdata": {"$numberLong": "7"}}"#),
        UpdateCase("$bit xor (docs example)", #"{"_id": 3, "expdata": 1}"#, #"{"$bit": {"expdata": {"xor": 5}}}"#,
                   after: #"{"_id": 3, "expdata": 4}"#),
        UpdateCase("$bit on a missing field starts from 0", #"{"_id": 1}"#, #"{"$bit": {"a": {"or": 6, "and": 3}}}"#,
                   after: #"{"_id": 1, "a": 2}"#),
        UpdateCase("$bit that changes no bit is a no-op", #"{"_id": 1, "a": 6}"#, #"{"$bit": {"a": {"or": 2}}}"#, after: nil),
    ]

    @Test(arguments: arithmeticCases) func arithmetic(_ testCase: UpdateCase) { testCase.check() }

    static let compareCases: [UpdateCase] = [
        UpdateCase("$min lowers (docs example)", #"{"_id": 1, "highScore": 800, "lowScore": 200}"#,
                   #"{"$min": {"lowScore": 150}}"#, after: #"{"_id": 1, "highScore": 800, "lowScore": 150}"#),
        UpdateCase("$min with a larger value is a no-op (docs example)", #"{"_id": 1, "highScore": 800, "lowScore": 150}"#,
                   #"{"$min": {"lowScore": 250}}"#, after: nil),
        UpdateCase("$max raises (docs example)", #"{"_id": 1, "highScore": 800, "lowScore": 200}"#,
                   #"{"$max": {"highScore": 950}}"#, after: #"{"_id": 1, "highScore": 950, "lowScore": 200}"#),
        UpdateCase("$max with a smaller value is a no-op (docs example)", #"{"_id": 1, "highScore": 950, "lowScore": 200}"#,
                   #"{"$max": {"highScore": 870}}"#, after: nil),
        UpdateCase("$max compares dates (docs example)",
                   #"{"_id": 1, "desc": "crafts", "dateExpired": {"$date": "2013-10-01T16:38:16Z"}}"#,
                   #"{"$max": {"dateExpired": {"$date": "2014-01-07T00:00:00Z"}}}"#,
                   after: #"{"_id": 1, "desc": "crafts", "dateExpired": {"$date": "2014-01-07T00:00:00Z"}}"#),
        UpdateCase("$min compares dates (docs example)",
                   #"{"_id": 1, "dateEntered": {"$date": "2013-10-01T05:00:00Z"}}"#,
                   #"{"$min": {"dateEntered": {"$date": "2013-09-25T00:00:00Z"}}}"#,
                   after: #"{"_id": 1, "dateEntered": {"$date": "2013-09-25T00:00:00Z"}}"#),
        UpdateCase("$max creates a missing field", #"{"_id": 1}"#, #"{"$max": {"foo.bar": 1}}"#,
                   after: #"{"_id": 1, "foo": {"bar": 1}}"#),
        UpdateCase("$max across types: a string is greater than a number", #"{"_id": 1, "a": 10}"#,
                   #"{"$max": {"a": "1"}}"#, after: #"{"_id": 1, "a": "1"}"#),
        UpdateCase("$max across types: null is less than a string", #"{"_id": 1, "a": "1"}"#,
                   #"{"$max": {"a": null}}"#, after: nil),
        UpdateCase("$min across types: null is less than a number", #"{"_id": 1, "a": 1}"#,
                   #"{"$min": {"a": null}}"#, after: #"{"_id": 1, "a": null}"#),
        UpdateCase("$min of an equal number of another type is a no-op", #"{"_id": 1, "a": 1}"#,
                   #"{"$min": {"a": 1.0}}"#, after: nil),
        UpdateCase("$min compares arrays element by element", #"{"_id": 1, "a": [1, 2], "b": [3, 4]}"#,
                   #"{"$min": {"a": [2, 3], "b": [1, 2]}}"#, after: #"{"_id": 1, "a": [1, 2], "b": [1, 2]}"#),
    ]

    @Test(arguments: compareCases) func minMax(_ testCase: UpdateCase) { testCase.check() }

    static let renameCases: [UpdateCase] = [
        UpdateCase("$rename a field (docs example)",
                   #"{"_id": 1, "alias": ["The American Cincinnatus"], "mobile": "555-555-5555", "nmae": {"first": "george", "last": "washington"}}"#,
                   #"{"$rename": {"nmae": "name"}}"#,
                   after: #"{"_id": 1, "alias": ["The American Cincinnatus"], "mobile": "555-555-5555", "name": {"first": "george", "last": "washington"}}"#),
        UpdateCase("$rename a field in an embedded document (docs example)",
                   #"{"_id": 2, "name": {"first": "abigail", "last": "adams"}}"#,
                   #"{"$rename": {"name.first": "name.fname"}}"#,
                   after: #"{"_id": 2, "name": {"last": "adams", "fname": "abigail"}}"#),
        UpdateCase("$rename of a missing field is a no-op (docs example)", #"{"_id": 1, "a": 1}"#,
                   #"{"$rename": {"wife": "spouse"}}"#, after: nil),
        UpdateCase("$rename onto an existing field overwrites it in place", #"{"_id": 1, "a": 1, "b": 2, "c": 3}"#,
                   #"{"$rename": {"c": "a"}}"#, after: #"{"_id": 1, "a": 3, "b": 2}"#),
        UpdateCase("$rename out of an embedded document", #"{"_id": 1, "d1": {"p1": 1}, "d2": {"p2": 2}}"#,
                   #"{"$rename": {"d1.p1": "d2.p3"}}"#, after: #"{"_id": 1, "d1": {}, "d2": {"p2": 2, "p3": 1}}"#),
        UpdateCase("$rename of an array field moves the array", #"{"_id": 1, "a": [1, 2]}"#,
                   #"{"$rename": {"a": "b"}}"#, after: #"{"_id": 1, "b": [1, 2]}"#),
        UpdateCase("$rename of several fields", #"{"_id": 1, "a": 1, "b": 2}"#,
                   #"{"$rename": {"a": "x", "b": "y"}}"#, after: #"{"_id": 1, "x": 1, "y": 2}"#),
    ]

    @Test(arguments: renameCases) func rename(_ testCase: UpdateCase) { testCase.check() }

    static let currentDateCases: [UpdateCase] = [
        UpdateCase("$currentDate docs example with $set",
                   #"{"_id": 1, "status": "a", "lastModified": {"$date": "2013-10-02T01:11:18.965Z"}}"#,
                   #"{"$currentDate": {"lastModified": true, "cancellation.date": {"$type": "timestamp"}}, "$set": {"cancellation.reason": "user request", "status": "D"}}"#,
                   after: #"{"_id": 1, "status": "D", "lastModified": {"$date": "2023-11-14T22:13:20Z"}, "cancellation": {"date": {"$timestamp": {"t": 1700000000, "i": 1}}, "reason": "user request"}}"#),
        UpdateCase("$currentDate with $type date", #"{"_id": 1}"#, #"{"$currentDate": {"d": {"$type": "date"}}}"#,
                   after: #"{"_id": 1, "d": {"$date": "2023-11-14T22:13:20Z"}}"#),
        UpdateCase("$currentDate false still sets a date", #"{"_id": 1, "d": 1}"#, #"{"$currentDate": {"d": false}}"#,
                   after: #"{"_id": 1, "d": {"$date": "2023-11-14T22:13:20Z"}}"#),
    ]

    @Test(arguments: currentDateCases) func currentDate(_ testCase: UpdateCase) { testCase.check() }

    @Test func currentDateAlwaysCountsAsModified() throws {
        let now = document(#"{"_id": 1, "d": {"$date": "2023-11-14T22:13:20Z"}}"#)
        let outcome = try Update(document(#"{"$currentDate": {"d": true}}"#))
            .apply(to: now, positionalIndex: nil, now: updateTestNow)
        #expect(outcome.document == now)
        #expect(outcome.modified, "MongoDB's CurrentDateNode never reports a no-op")
    }
}
