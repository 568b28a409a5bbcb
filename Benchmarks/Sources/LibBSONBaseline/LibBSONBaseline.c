// The libbson baseline for Tessera's BSON benchmarks: plans built once from Swift, and the
// encode, validate, iterate, look-up and Extended JSON calls measured against Tessera.
// Owns no timing and never calls back into Swift.

#include "LibBSONBaseline.h"

#include <bson/bson.h>
#include <stdlib.h>
#include <string.h>

enum { LBB_END = 0, LBB_MAX_DEPTH = 128 };

typedef struct {
    char *key;          // NULL inside arrays
    uint32_t keyLength;
    uint8_t type;       // a BSON type byte, or LBB_END
    uint8_t subtype;    // binary subtype
    bool boolean;
    int32_t int32;
    int64_t int64;      // int64 and datetime
    double dbl;
    uint8_t *bytes;     // utf8, binary, oid (12)
    uint32_t length;
} lbb_node;

struct lbb_plan {
    lbb_node *nodes;
    size_t count;
    size_t capacity;
};

lbb_plan *lbb_plan_create(void) {
    return calloc(1, sizeof(lbb_plan));
}

void lbb_plan_destroy(lbb_plan *plan) {
    if (plan == NULL) return;
    for (size_t i = 0; i < plan->count; i++) {
        free(plan->nodes[i].key);
        free(plan->nodes[i].bytes);
    }
    free(plan->nodes);
    free(plan);
}

static lbb_node *lbb_push(lbb_plan *plan, const char *key, uint8_t type) {
    if (plan->count == plan->capacity) {
        size_t capacity = plan->capacity ? plan->capacity * 2 : 64;
        lbb_node *grown = realloc(plan->nodes, capacity * sizeof(lbb_node));
        if (grown == NULL) abort();
        plan->nodes = grown;
        plan->capacity = capacity;
    }
    lbb_node *node = &plan->nodes[plan->count++];
    memset(node, 0, sizeof(*node));
    node->type = type;
    if (key != NULL) {
        node->keyLength = (uint32_t)strlen(key);
        node->key = malloc(node->keyLength + 1);
        if (node->key == NULL) abort();
        memcpy(node->key, key, node->keyLength + 1);
    }
    return node;
}

static uint8_t *lbb_copy(const void *bytes, uint32_t length) {
    uint8_t *copy = malloc(length ? length : 1);
    if (copy == NULL) abort();
    if (length) memcpy(copy, bytes, length);
    return copy;
}

void lbb_plan_double(lbb_plan *plan, const char *key, double value) {
    lbb_push(plan, key, BSON_TYPE_DOUBLE)->dbl = value;
}

void lbb_plan_utf8(lbb_plan *plan, const char *key, const void *value, uint32_t length) {
    lbb_node *node = lbb_push(plan, key, BSON_TYPE_UTF8);
    node->bytes = lbb_copy(value, length);
    node->length = length;
}

void lbb_plan_begin_document(lbb_plan *plan, const char *key) {
    lbb_push(plan, key, BSON_TYPE_DOCUMENT);
}

void lbb_plan_begin_array(lbb_plan *plan, const char *key) {
    lbb_push(plan, key, BSON_TYPE_ARRAY);
}

void lbb_plan_end(lbb_plan *plan) {
    lbb_push(plan, NULL, LBB_END);
}

void lbb_plan_binary(lbb_plan *plan, const char *key, uint8_t subtype, const void *bytes, uint32_t length) {
    lbb_node *node = lbb_push(plan, key, BSON_TYPE_BINARY);
    node->subtype = subtype;
    node->bytes = lbb_copy(bytes, length);
    node->length = length;
}

void lbb_plan_oid(lbb_plan *plan, const char *key, const void *bytes12) {
    lbb_node *node = lbb_push(plan, key, BSON_TYPE_OID);
    node->bytes = lbb_copy(bytes12, 12);
    node->length = 12;
}

void lbb_plan_bool(lbb_plan *plan, const char *key, bool value) {
    lbb_push(plan, key, BSON_TYPE_BOOL)->boolean = value;
}

void lbb_plan_datetime(lbb_plan *plan, const char *key, int64_t millisecondsSinceEpoch) {
    lbb_push(plan, key, BSON_TYPE_DATE_TIME)->int64 = millisecondsSinceEpoch;
}

void lbb_plan_null(lbb_plan *plan, const char *key) {
    lbb_push(plan, key, BSON_TYPE_NULL);
}

void lbb_plan_int32(lbb_plan *plan, const char *key, int32_t value) {
    lbb_push(plan, key, BSON_TYPE_INT32)->int32 = value;
}

void lbb_plan_int64(lbb_plan *plan, const char *key, int64_t value) {
    lbb_push(plan, key, BSON_TYPE_INT64)->int64 = value;
}

// Appends every node of the plan to `root`; false if libbson refuses an append.
static bool lbb_build(const lbb_plan *plan, bson_t *root) {
    bson_t stack[LBB_MAX_DEPTH];
    bool inArray[LBB_MAX_DEPTH];
    uint32_t nextIndex[LBB_MAX_DEPTH];
    int depth = 0;
    bson_t *current = root;
    inArray[0] = false;
    nextIndex[0] = 0;
    char indexBuffer[16];

    for (size_t i = 0; i < plan->count; i++) {
        const lbb_node *node = &plan->nodes[i];
        if (node->type == LBB_END) {
            if (depth == 0) return false;
            bson_t *parent = depth == 1 ? root : &stack[depth - 2];
            if (!(inArray[depth] ? bson_append_array_end(parent, current)
                                 : bson_append_document_end(parent, current))) {
                return false;
            }
            depth--;
            current = parent;
            continue;
        }

        const char *key = node->key;
        int keyLength = (int)node->keyLength;
        if (inArray[depth]) {
            const char *generated;
            size_t length = bson_uint32_to_string(nextIndex[depth]++, &generated, indexBuffer, sizeof indexBuffer);
            key = generated;
            keyLength = (int)length;
        }

        bool ok;
        switch (node->type) {
        case BSON_TYPE_DOUBLE: ok = bson_append_double(current, key, keyLength, node->dbl); break;
        case BSON_TYPE_UTF8: ok = bson_append_utf8(current, key, keyLength, (const char *)node->bytes, (int)node->length); break;
        case BSON_TYPE_BINARY: ok = bson_append_binary(current, key, keyLength, (bson_subtype_t)node->subtype, node->bytes, node->length); break;
        case BSON_TYPE_OID: ok = bson_append_oid(current, key, keyLength, (const bson_oid_t *)node->bytes); break;
        case BSON_TYPE_BOOL: ok = bson_append_bool(current, key, keyLength, node->boolean); break;
        case BSON_TYPE_DATE_TIME: ok = bson_append_date_time(current, key, keyLength, node->int64); break;
        case BSON_TYPE_NULL: ok = bson_append_null(current, key, keyLength); break;
        case BSON_TYPE_INT32: ok = bson_append_int32(current, key, keyLength, node->int32); break;
        case BSON_TYPE_INT64: ok = bson_append_int64(current, key, keyLength, node->int64); break;
        case BSON_TYPE_DOCUMENT:
        case BSON_TYPE_ARRAY: {
            if (depth + 1 >= LBB_MAX_DEPTH) return false;
            bson_t *child = &stack[depth];
            ok = node->type == BSON_TYPE_ARRAY ? bson_append_array_begin(current, key, keyLength, child)
                                                : bson_append_document_begin(current, key, keyLength, child);
            if (ok) {
                depth++;
                inArray[depth] = node->type == BSON_TYPE_ARRAY;
                nextIndex[depth] = 0;
                current = child;
            }
            break;
        }
        default: ok = false; break;
        }
        if (!ok) return false;
    }
    return depth == 0;
}

size_t lbb_plan_encode(const lbb_plan *plan) {
    bson_t document;
    bson_init(&document);
    size_t length = lbb_build(plan, &document) ? document.len : 0;
    bson_destroy(&document);
    return length;
}

size_t lbb_plan_encode_copy(const lbb_plan *plan, uint8_t *out, size_t capacity) {
    bson_t document;
    bson_init(&document);
    size_t length = 0;
    if (lbb_build(plan, &document)) {
        length = document.len;
        memcpy(out, bson_get_data(&document), length < capacity ? length : capacity);
    }
    bson_destroy(&document);
    return length;
}

bool lbb_validate(const uint8_t *data, size_t length) {
    bson_t document;
    if (!bson_init_static(&document, data, length)) return false;
    size_t errorOffset;
    return bson_validate(&document, BSON_VALIDATE_UTF8, &errorOffset);
}

// Reads every value under `iter`, recursing into documents and arrays.
static int64_t lbb_visit_iter(bson_iter_t *iter) {
    int64_t sum = 0;
    while (bson_iter_next(iter)) {
        sum += (int64_t)bson_iter_key_len(iter) + bson_iter_type(iter);
        switch (bson_iter_type(iter)) {
        case BSON_TYPE_DOUBLE: sum += (int64_t)bson_iter_double(iter); break;
        case BSON_TYPE_UTF8: {
            uint32_t length;
            const char *text = bson_iter_utf8(iter, &length);
            sum += length + (length ? (uint8_t)text[0] : 0);
            break;
        }
        case BSON_TYPE_DOCUMENT:
        case BSON_TYPE_ARRAY: {
            bson_iter_t child;
            if (bson_iter_recurse(iter, &child)) sum += lbb_visit_iter(&child);
            break;
        }
        case BSON_TYPE_BINARY: {
            bson_subtype_t subtype;
            uint32_t length;
            const uint8_t *bytes;
            bson_iter_binary(iter, &subtype, &length, &bytes);
            sum += length + subtype + (length ? bytes[0] : 0);
            break;
        }
        case BSON_TYPE_OID: sum += bson_iter_oid(iter)->bytes[11]; break;
        case BSON_TYPE_BOOL: sum += bson_iter_bool(iter); break;
        case BSON_TYPE_DATE_TIME: sum += bson_iter_date_time(iter); break;
        case BSON_TYPE_INT32: sum += bson_iter_int32(iter); break;
        case BSON_TYPE_INT64: sum += bson_iter_int64(iter); break;
        default: break;
        }
    }
    return sum;
}

int64_t lbb_visit(const uint8_t *data, size_t length) {
    bson_t document;
    bson_iter_t iter;
    if (!bson_init_static(&document, data, length) || !bson_iter_init(&iter, &document)) return -1;
    return lbb_visit_iter(&iter);
}

int64_t lbb_validate_and_visit(const uint8_t *data, size_t length) {
    bson_t document;
    bson_iter_t iter;
    size_t errorOffset;
    if (!bson_init_static(&document, data, length)) return -1;
    if (!bson_validate(&document, BSON_VALIDATE_UTF8, &errorOffset)) return -1;
    if (!bson_iter_init(&iter, &document)) return -1;
    return lbb_visit_iter(&iter);
}

int64_t lbb_find_path(const uint8_t *data, size_t length, const char *dottedPath) {
    bson_t document;
    bson_iter_t iter;
    bson_iter_t found;
    if (!bson_init_static(&document, data, length) || !bson_iter_init(&iter, &document)) return INT64_MIN;
    if (!bson_iter_find_descendant(&iter, dottedPath, &found)) return INT64_MIN;
    return bson_iter_as_int64(&found);
}

int64_t lbb_find_key(const uint8_t *data, size_t length, const char *key) {
    bson_t document;
    bson_iter_t iter;
    if (!bson_init_static(&document, data, length)) return INT64_MIN;
    if (!bson_iter_init_find(&iter, &document, key)) return INT64_MIN;
    return bson_iter_as_int64(&iter);
}

size_t lbb_relaxed_json(const uint8_t *data, size_t length) {
    bson_t document;
    if (!bson_init_static(&document, data, length)) return 0;
    size_t jsonLength = 0;
    char *json = bson_as_relaxed_extended_json(&document, &jsonLength);
    if (json == NULL) return 0;
    bson_free(json);
    return jsonLength;
}

char *lbb_relaxed_json_copy(const uint8_t *data, size_t length) {
    bson_t document;
    if (!bson_init_static(&document, data, length)) return NULL;
    char *json = bson_as_relaxed_extended_json(&document, NULL);
    if (json == NULL) return NULL;
    size_t jsonLength = strlen(json);
    char *copy = malloc(jsonLength + 1);
    if (copy != NULL) memcpy(copy, json, jsonLength + 1);
    bson_free(json);
    return copy;
}

void lbb_free(void *pointer) {
    free(pointer);
}
