/* address_count (see address_count.h): entries in an eio_map keyed by the address they hold,
 * so a client choosing addresses can't choose collisions (the map's hash is keyed). */
#include "core/address_count.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/eio_map.h"

struct address_count {
    eio_map *map;
};

struct address_entry {
    size_t count;
    char address[ADDRESS_COUNT_MAX_ADDRESS + 1]; /* the map's key */
};

struct address_count *address_count_new(void)
{
    struct address_count *counts = calloc(1, sizeof *counts);
    if (counts && !(counts->map = eio_map_new())) {
        free(counts);
        return NULL;
    }
    return counts;
}

void address_count_free(struct address_count *counts)
{
    if (!counts)
        return;
    struct address_entry *entry;
    while ((entry = eio_map_any(counts->map))) {
        eio_map_remove(counts->map, entry->address);
        free(entry);
    }
    eio_map_free(counts->map);
    free(counts);
}

/* The key as stored: cut to the entry's room. */
static void address_key(char *out, const char *address)
{
    snprintf(out, ADDRESS_COUNT_MAX_ADDRESS + 1, "%s", address ? address : "?");
}

struct address_entry *address_count_take(struct address_count *counts, const char *address,
                                         size_t cap)
{
    char key[ADDRESS_COUNT_MAX_ADDRESS + 1];
    address_key(key, address);
    struct address_entry *entry = eio_map_get(counts->map, key);
    if (entry) {
        if (cap && entry->count >= cap)
            return NULL;
        entry->count++;
        return entry;
    }
    entry = calloc(1, sizeof *entry);
    if (!entry)
        return NULL;
    snprintf(entry->address, sizeof entry->address, "%s", key);
    if (eio_map_put(counts->map, entry->address, entry)) {
        free(entry);
        return NULL;
    }
    entry->count = 1;
    return entry;
}

void address_count_release(struct address_count *counts, struct address_entry *entry)
{
    if (!entry || --entry->count > 0)
        return;
    eio_map_remove(counts->map, entry->address);
    free(entry);
}

size_t address_count_of(const struct address_count *counts, const char *address)
{
    char key[ADDRESS_COUNT_MAX_ADDRESS + 1];
    address_key(key, address);
    const struct address_entry *entry = eio_map_get(counts->map, key);
    return entry ? entry->count : 0;
}
