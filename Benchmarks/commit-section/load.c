/* Commit-section load: THREADS libmongoc clients inserting small documents into one
 * collection or several for SECONDS, each insert alone (batch 1) or BATCH at a time, with
 * w:1 or j:true. Thread i writes to collection "c<i % COLLECTIONS>" of database "cs".
 * A C client so that the load costs little CPU beside the server (a Python load used
 * about as much as the server did). Prints one line: inserts, inserts/s, mean and p99
 * client latency per insert command. Run by Benchmarks/commit-section/run.py.
 *
 * usage: load URI THREADS COLLECTIONS SECONDS BATCH w1|j */
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SAMPLES 2000000

struct worker {
    mongoc_client_pool_t *pool;
    int index;
    int collections;
    int batch;
    bool journaled;
    double seconds;
    long inserted;
    long commands;
    long errors;
    double *latencies; /* microseconds per command */
};

static double now_seconds(void) {
    struct timespec spec;
    clock_gettime(CLOCK_MONOTONIC, &spec);
    return (double)spec.tv_sec + (double)spec.tv_nsec / 1e9;
}

static void *run(void *argument) {
    struct worker *worker = argument;
    mongoc_client_t *client = mongoc_client_pool_pop(worker->pool);
    char name[32];
    snprintf(name, sizeof name, "c%d", worker->index % worker->collections);
    mongoc_collection_t *collection = mongoc_client_get_collection(client, "cs", name);
    mongoc_write_concern_t *concern = mongoc_write_concern_new();
    mongoc_write_concern_set_w(concern, 1);
    mongoc_write_concern_set_journal(concern, worker->journaled);
    mongoc_collection_set_write_concern(collection, concern);
    bson_t **documents = calloc((size_t)worker->batch, sizeof *documents);
    char payload[81];
    memset(payload, 'x', 80);
    payload[80] = 0;
    long sequence = 0;
    double end = now_seconds() + worker->seconds;
    while (now_seconds() < end) {
        for (int i = 0; i < worker->batch; i++) {
            documents[i] = BCON_NEW("w", BCON_INT32(worker->index), "n", BCON_INT64(sequence++),
                                    "payload", BCON_UTF8(payload));
        }
        bson_error_t error;
        double started = now_seconds();
        bool ok = mongoc_collection_insert_many(collection, (const bson_t **)documents, (size_t)worker->batch,
                                                NULL, NULL, &error);
        double took = now_seconds() - started;
        for (int i = 0; i < worker->batch; i++) bson_destroy(documents[i]);
        if (!ok) {
            if (worker->errors++ == 0) fprintf(stderr, "insert failed: %s\n", error.message);
            continue;
        }
        if (worker->commands < MAX_SAMPLES) worker->latencies[worker->commands] = took * 1e6;
        worker->commands++;
        worker->inserted += worker->batch;
    }
    free(documents);
    mongoc_write_concern_destroy(concern);
    mongoc_collection_destroy(collection);
    mongoc_client_pool_push(worker->pool, client);
    return NULL;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s URI THREADS COLLECTIONS SECONDS BATCH w1|j\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[2]), collections = atoi(argv[3]), batch = atoi(argv[5]);
    double seconds = atof(argv[4]);
    if (threads < 1 || threads > 256 || collections < 1 || batch < 1 || seconds <= 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    mongoc_init();
    bson_error_t error;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &error);
    if (!uri) {
        fprintf(stderr, "bad uri: %s\n", error.message);
        return 2;
    }
    mongoc_client_pool_t *pool = mongoc_client_pool_new(uri);
    mongoc_client_pool_max_size(pool, (uint32_t)threads);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    for (int i = 0; i < threads; i++) {
        workers[i] = (struct worker){.pool = pool, .index = i, .collections = collections, .batch = batch,
                                     .journaled = strcmp(argv[6], "j") == 0, .seconds = seconds,
                                     .latencies = malloc(sizeof(double) * MAX_SAMPLES)};
        pthread_create(&ids[i], NULL, run, &workers[i]);
    }
    long inserted = 0, commands = 0, errors = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ids[i], NULL);
        inserted += workers[i].inserted;
        commands += workers[i].commands;
        errors += workers[i].errors;
    }
    double *all = malloc(sizeof(double) * (size_t)(commands > 0 ? commands : 1));
    long count = 0;
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        long kept = workers[i].commands < MAX_SAMPLES ? workers[i].commands : MAX_SAMPLES;
        for (long k = 0; k < kept; k++) {
            all[count++] = workers[i].latencies[k];
            sum += workers[i].latencies[k];
        }
        free(workers[i].latencies);
    }
    qsort(all, (size_t)count, sizeof *all, compare);
    double p99 = count > 0 ? all[(long)((double)(count - 1) * 0.99)] : 0;
    printf("inserts %ld commands %ld errors %ld inserts_per_s %.0f mean_us %.1f p99_us %.1f\n", inserted, commands,
           errors, (double)inserted / seconds, count > 0 ? sum / (double)count : 0.0, p99);
    free(all);
    free(workers);
    free(ids);
    mongoc_client_pool_destroy(pool);
    mongoc_uri_destroy(uri);
    mongoc_cleanup();
    return errors > 0 ? 1 : 0;
}
