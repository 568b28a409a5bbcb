// Documents: catalog, shapes and records over Storage. Being written; see issue 3.
