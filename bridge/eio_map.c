/* eio_map: chained hash map keyed by C strings (FNV-1a), grown by doubling. */
#include "eio_map.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static uint64_t hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    return h;
}

eio_map *eio_map_new(void)
{
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
