/* eio_map: chained hash map keyed by C strings, grown by doubling. Keys come from clients (room
 * names, ids), so the hash is SipHash-1-3 under a random key drawn once per process: a client
 * can't choose keys that all land in one chain and turn every lookup into a walk. */
#include "core/eio_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

typedef struct eio_entry {
    struct eio_entry *next;
    const char *key;
    void *value;
} eio_entry;

struct eio_map {
    eio_entry **buckets;
    size_t bucket_count;    /* a power of two */
    size_t count;
};

static uint64_t hash_key[2];
static int hash_keyed;

/* The key: from the kernel; should that fail (it does not block once the system has booted),
 * from the clock and the address space, which still differ from one process to the next. */
static void hash_init(void)
{
    if (getrandom(hash_key, sizeof(hash_key), 0) != (ssize_t)sizeof(hash_key)) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        hash_key[0] = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32) ^ (uint64_t)(uintptr_t)&now;
        hash_key[1] = (uint64_t)(uintptr_t)hash_key * 0x9e3779b97f4a7c15ULL ^ (uint64_t)now.tv_sec;
    }
    hash_keyed = 1;
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIP_ROUND(v0, v1, v2, v3)                                                                  \
    do {                                                                                           \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                  \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                     \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                     \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                  \
    } while (0)

/* SipHash-1-3 of the key's bytes. */
static uint64_t hash(const char *key)
{
    size_t length = strlen(key);
    uint64_t v0 = 0x736f6d6570736575ULL ^ hash_key[0], v1 = 0x646f72616e646f6dULL ^ hash_key[1];
    uint64_t v2 = 0x6c7967656e657261ULL ^ hash_key[0], v3 = 0x7465646279746573ULL ^ hash_key[1];
    const unsigned char *in = (const unsigned char *)key;
    size_t whole = length - length % 8;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m;
        memcpy(&m, in + i, 8); /* little-endian hosts only matter for speed, not for safety */
        v3 ^= m;
        SIP_ROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t last = (uint64_t)length << 56;
    for (size_t i = 0; i < length % 8; i++)
        last |= (uint64_t)in[whole + i] << (8 * i);
    v3 ^= last;
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

eio_map *eio_map_new(void)
{
    if (!hash_keyed)
        hash_init();
    eio_map *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->bucket_count = 16;
    map->buckets = calloc(map->bucket_count, sizeof *map->buckets);
    if (!map->buckets) {
        free(map);
        return NULL;
    }
    return map;
}

void eio_map_free(eio_map *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->bucket_count; i++) {
        eio_entry *e = map->buckets[i];
        while (e) {
            eio_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(map->buckets);
    free(map);
}

static void grow(eio_map *map)
{
    size_t count = map->bucket_count * 2;
    eio_entry **buckets = calloc(count, sizeof *buckets);
    if (!buckets)
        return;                 /* stay smaller: slower, still correct */
    for (size_t i = 0; i < map->bucket_count; i++) {
        eio_entry *e = map->buckets[i];
        while (e) {
            eio_entry *next = e->next;
            size_t b = hash(e->key) & (count - 1);
            e->next = buckets[b];
            buckets[b] = e;
            e = next;
        }
    }
    free(map->buckets);
    map->buckets = buckets;
    map->bucket_count = count;
}

int eio_map_put(eio_map *map, const char *key, void *value)
{
    size_t b = hash(key) & (map->bucket_count - 1);
    for (eio_entry *e = map->buckets[b]; e; e = e->next) {
        if (strcmp(e->key, key) == 0) {
            e->key = key;
            e->value = value;
            return 0;
        }
    }
    eio_entry *e = malloc(sizeof *e);
    if (!e)
        return -1;
    e->key = key;
    e->value = value;
    e->next = map->buckets[b];
    map->buckets[b] = e;
    if (++map->count > map->bucket_count)
        grow(map);
    return 0;
}

void *eio_map_get(const eio_map *map, const char *key)
{
    size_t b = hash(key) & (map->bucket_count - 1);
    for (eio_entry *e = map->buckets[b]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e->value;
    return NULL;
}

void *eio_map_remove(eio_map *map, const char *key)
{
    size_t b = hash(key) & (map->bucket_count - 1);
    for (eio_entry **link = &map->buckets[b]; *link; link = &(*link)->next) {
        eio_entry *e = *link;
        if (strcmp(e->key, key) == 0) {
            void *value = e->value;
            *link = e->next;
            free(e);
            map->count--;
            return value;
        }
    }
    return NULL;
}

void *eio_map_any(const eio_map *map)
{
    if (!map->count)
        return NULL;
    for (size_t i = 0; i < map->bucket_count; i++)
        if (map->buckets[i])
            return map->buckets[i]->value;
    return NULL;
}

size_t eio_map_count(const eio_map *map) { return map->count; }
