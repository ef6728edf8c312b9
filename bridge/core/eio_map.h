/* eio_map: a small string-keyed hash map (chained, doubling), for sessions by sid and rooms by
 * name. Keys are not copied: each must live as long as its entry (usually inside the value). */
#ifndef EIO_MAP_H
#define EIO_MAP_H

#include <stddef.h>

typedef struct eio_map eio_map;

eio_map *eio_map_new(void);                 /* NULL when out of memory */
void eio_map_free(eio_map *map);            /* frees the map, never the values */
/* Adds or replaces. Returns 0, or -1 when out of memory (nothing changed). */
int eio_map_put(eio_map *map, const char *key, void *value);
void *eio_map_get(const eio_map *map, const char *key);      /* NULL when absent */
void *eio_map_remove(eio_map *map, const char *key);         /* the removed value or NULL */
void *eio_map_any(const eio_map *map);      /* some value, or NULL when empty (for teardown) */
size_t eio_map_count(const eio_map *map);

#endif
