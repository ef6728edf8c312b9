/* address_count: how many of something (connections, Engine.IO sessions) each client address
 * holds, so that one address can be held to a cap and can't take what everyone shares. An
 * address is counted while it holds at least one. Single-threaded, like the loop. */
#ifndef BRIDGE_ADDRESS_COUNT_H
#define BRIDGE_ADDRESS_COUNT_H

#include <stddef.h>

#define ADDRESS_COUNT_MAX_ADDRESS 63 /* longer addresses are cut (an IPv6 text is 45 at most) */

struct address_count;
struct address_entry;

struct address_count *address_count_new(void); /* NULL when out of memory */
/* Frees the table; entries still taken are freed with it. */
void address_count_free(struct address_count *counts);

/* One more for address, unless it holds `cap` already (0: no cap). Returns the entry to give
 * back with address_count_release, or NULL when the cap is reached or memory is out. */
struct address_entry *address_count_take(struct address_count *counts, const char *address,
                                         size_t cap);
void address_count_release(struct address_count *counts, struct address_entry *entry);
/* How many address holds now (0 when unknown). */
size_t address_count_of(const struct address_count *counts, const char *address);

#endif
