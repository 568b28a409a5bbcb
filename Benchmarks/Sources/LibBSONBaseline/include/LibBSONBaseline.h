// The libbson side of Tessera's BSON benchmarks: plain C entry points over Debian's libbson,
// so the Swift benchmark never touches libbson's types. Owns the "plan" (a document
// flattened into C arrays for bson_append_*) and the per-operation baselines; owns no timing.

#ifndef TESSERA_LIBBSON_BASELINE_H
#define TESSERA_LIBBSON_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A document prepared as C arrays (nodes in pre-order, containers closed by an end node),
/// from which `lbb_plan_encode` builds BSON with bson_append_*. Keys and values are copied in.
typedef struct lbb_plan lbb_plan;

/// Makes an empty plan for one top-level document.
lbb_plan *lbb_plan_create(void);
/// Frees a plan and everything copied into it.
void lbb_plan_destroy(lbb_plan *plan);

// Appenders. `key` is NUL-terminated; pass NULL inside an array, where the encoder makes the
// index key ("0", "1", ...) with bson_uint32_to_string at encode time, as libbson users do.
void lbb_plan_double(lbb_plan *plan, const char *key, double value);
void lbb_plan_utf8(lbb_plan *plan, const char *key, const void *value, uint32_t length);
void lbb_plan_begin_document(lbb_plan *plan, const char *key);
void lbb_plan_begin_array(lbb_plan *plan, const char *key);
/// Closes the innermost open document or array.
void lbb_plan_end(lbb_plan *plan);
void lbb_plan_binary(lbb_plan *plan, const char *key, uint8_t subtype, const void *bytes, uint32_t length);
void lbb_plan_oid(lbb_plan *plan, const char *key, const void *bytes12);
void lbb_plan_bool(lbb_plan *plan, const char *key, bool value);
void lbb_plan_datetime(lbb_plan *plan, const char *key, int64_t millisecondsSinceEpoch);
void lbb_plan_null(lbb_plan *plan, const char *key);
void lbb_plan_int32(lbb_plan *plan, const char *key, int32_t value);
void lbb_plan_int64(lbb_plan *plan, const char *key, int64_t value);

/// Builds the planned document with bson_init + bson_append_* + bson_destroy and returns its
/// size in bytes (0 if libbson refused an append). This is the measured encode.
size_t lbb_plan_encode(const lbb_plan *plan);
/// Builds the planned document and copies up to `capacity` bytes of it into `out`; returns
/// its full size. Used once, to check that libbson and Tessera produce the same bytes.
size_t lbb_plan_encode_copy(const lbb_plan *plan, uint8_t *out, size_t capacity);

/// bson_init_static + bson_validate with BSON_VALIDATE_UTF8 (structure, recursively, and
/// UTF-8 of keys and strings). True when valid.
bool lbb_validate(const uint8_t *data, size_t length);
/// bson_init_static + bson_validate(BSON_VALIDATE_UTF8), then a full iteration that reads
/// every value, recursing into documents and arrays with bson_iter_recurse. Returns a
/// checksum of what it read, or -1 if the bytes are invalid. The counterpart of Tessera's
/// full decode: libbson has no owned value tree, so "validate then read everything" is the
/// closest it comes to materialising.
int64_t lbb_validate_and_visit(const uint8_t *data, size_t length);
/// The full iteration alone, on bytes already known to be valid (bson_init_static, no
/// validation). Returns the same checksum as lbb_validate_and_visit.
int64_t lbb_visit(const uint8_t *data, size_t length);

/// bson_init_static + bson_iter_init + bson_iter_find_descendant(path) on trusted bytes;
/// returns the value found as int64 (bson_iter_as_int64), or INT64_MIN if absent.
int64_t lbb_find_path(const uint8_t *data, size_t length, const char *dottedPath);
/// bson_init_static + bson_iter_init_find(key) on trusted bytes; returns the value as int64
/// (bson_iter_as_int64, so a string or document gives 0), or INT64_MIN if absent.
int64_t lbb_find_key(const uint8_t *data, size_t length, const char *key);

/// bson_init_static + bson_as_relaxed_extended_json + bson_free; returns the JSON length.
size_t lbb_relaxed_json(const uint8_t *data, size_t length);
/// The relaxed Extended JSON of `data`, malloc'ed (free with lbb_free); NULL if invalid.
char *lbb_relaxed_json_copy(const uint8_t *data, size_t length);
/// Frees memory returned by this module.
void lbb_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
