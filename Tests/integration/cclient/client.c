/* A second real MongoDB client for the integration suite: libmongoc (Debian's libmongoc-dev)
 * connects to the URI in argv[1], then inserts, finds, updates and counts in the database
 * argv[2] (default "cclient"), printing one line per step so the pytest side can check it.
 * Exits non-zero with a message on stderr at the first error. */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *step, const bson_error_t *error) {
    fprintf(stderr, "%s failed: %s (domain %u, code %u)\n", step, error->message, error->domain, error->code);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URI [DATABASE]\n", argv[0]);
        return 2;
    }
    const char *database = argc > 2 ? argv[2] : "cclient";
    int status = 0;
    bson_error_t error;
    mongoc_init();

    mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &error);
    if (!uri) {
        return fail("parse uri", &error);
    }
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    mongoc_client_set_appname(client, "tessera-cclient");
    mongoc_collection_t *items = mongoc_client_get_collection(client, database, "items");

    /* ping */
    bson_t *ping = BCON_NEW("ping", BCON_INT32(1));
    bson_t reply;
    if (!mongoc_client_command_simple(client, "admin", ping, NULL, &reply, &error)) {
        status = fail("ping", &error);
        goto done;
    }
    bson_destroy(&reply);
    printf("ping ok\n");

    /* insert: three documents one by one, then two in one batch */
    for (int i = 1; i <= 3; i++) {
        bson_t *doc = BCON_NEW("_id", BCON_INT32(i), "name", BCON_UTF8("item"), "qty", BCON_INT32(i * 10));
        bool ok = mongoc_collection_insert_one(items, doc, NULL, NULL, &error);
        bson_destroy(doc);
        if (!ok) {
            status = fail("insert_one", &error);
            goto done;
        }
    }
    bson_t *batch[2];
    batch[0] = BCON_NEW("_id", BCON_INT32(4), "name", BCON_UTF8("bulk"), "qty", BCON_INT32(40));
    batch[1] = BCON_NEW("_id", BCON_INT32(5), "name", BCON_UTF8("bulk"), "qty", BCON_INT32(50));
    bson_t many_reply;
    bool inserted = mongoc_collection_insert_many(items, (const bson_t **)batch, 2, NULL, &many_reply, &error);
    bson_destroy(batch[0]);
    bson_destroy(batch[1]);
    if (!inserted) {
        status = fail("insert_many", &error);
        goto done;
    }
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, &many_reply, "insertedCount")) {
        printf("inserted %d\n", 3 + (int)bson_iter_as_int64(&iter));
    }
    bson_destroy(&many_reply);

    /* find: qty >= 20, sorted by _id descending, as canonical-free relaxed JSON */
    bson_t *filter = BCON_NEW("qty", "{", "$gte", BCON_INT32(20), "}");
    bson_t *opts = BCON_NEW("sort", "{", "_id", BCON_INT32(-1), "}", "batchSize", BCON_INT32(2));
    mongoc_cursor_t *cursor = mongoc_collection_find_with_opts(items, filter, opts, NULL);
    const bson_t *found;
    int seen = 0;
    while (mongoc_cursor_next(cursor, &found)) {
        bson_iter_t id;
        if (bson_iter_init_find(&id, found, "_id")) {
            printf("found %d\n", (int)bson_iter_as_int64(&id));
        }
        seen++;
    }
    bool cursor_failed = mongoc_cursor_error(cursor, &error);
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
    bson_destroy(opts);
    if (cursor_failed) {
        status = fail("find", &error);
        goto done;
    }
    printf("found total %d\n", seen);

    /* update: add 1 to qty of the "bulk" items, set a flag on _id 1 */
    bson_t *selector = BCON_NEW("name", BCON_UTF8("bulk"));
    bson_t *update = BCON_NEW("$inc", "{", "qty", BCON_INT32(1), "}");
    bson_t update_reply;
    bool updated = mongoc_collection_update_many(items, selector, update, NULL, &update_reply, &error);
    bson_destroy(selector);
    bson_destroy(update);
    if (!updated) {
        status = fail("update_many", &error);
        goto done;
    }
    if (bson_iter_init_find(&iter, &update_reply, "modifiedCount")) {
        printf("modified %d\n", (int)bson_iter_as_int64(&iter));
    }
    bson_destroy(&update_reply);
    selector = BCON_NEW("_id", BCON_INT32(1));
    update = BCON_NEW("$set", "{", "touchedBy", BCON_UTF8("libmongoc"), "}");
    updated = mongoc_collection_update_one(items, selector, update, NULL, NULL, &error);
    bson_destroy(selector);
    bson_destroy(update);
    if (!updated) {
        status = fail("update_one", &error);
        goto done;
    }

    /* count: the count command (count_documents would need $group) */
    bson_t *count_command = BCON_NEW("count", BCON_UTF8("items"), "query", "{", "}");
    bson_t count_reply;
    bool counted = mongoc_collection_command_simple(items, count_command, NULL, &count_reply, &error);
    bson_destroy(count_command);
    if (!counted) {
        status = fail("count", &error);
        goto done;
    }
    if (bson_iter_init_find(&iter, &count_reply, "n")) {
        printf("count %lld\n", (long long)bson_iter_as_int64(&iter));
    }
    bson_destroy(&count_reply);

done:
    bson_destroy(ping);
    mongoc_collection_destroy(items);
    mongoc_client_destroy(client);
    mongoc_uri_destroy(uri);
    mongoc_cleanup();
    return status;
}
