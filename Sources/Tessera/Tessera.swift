// Tessera: the embedding API's module root (issue 19). Re-exports BSON, so `import Tessera`
// alone gives BSONDocument, BSONValue, ObjectId, BSONEncoder and BSONDecoder; everything else
// of the layers below (Query; Commands and Server for `serve`) stays internal to this module.

@_exported public import BSON
