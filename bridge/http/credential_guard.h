/* credential_guard: the limits in front of the calls that check a password (register, login,
 * change_password), counted per client address and per account through rate_limit, so one
 * laptop can neither guess a password nor fill the slow pool, and a guessed-at account is
 * locked for a window while others log in as usual (docs/security.md).
 *   login            attempts per address, then attempts per login name
 *   register         attempts per address
 *   change_password  attempts per address */
#ifndef BRIDGE_CREDENTIAL_GUARD_H
#define BRIDGE_CREDENTIAL_GUARD_H

#include "core/config.h"
#include "http/rate_limit.h"

struct credential_guard;

/* Limits from config; limits must outlive it. NULL when out of memory. */
struct credential_guard *credential_guard_new(const struct config *config,
                                              struct rate_limit *limits);
void credential_guard_free(struct credential_guard *guard);

/* 0: go ahead; else the seconds to wait (Retry-After). */
typedef void (*credential_guard_fn)(void *data, unsigned retry_after_s);

/* Before a call of `function` from address with login (NULL unless the function is login);
 * done runs exactly once, now or later. Functions the guard doesn't know go ahead at once. */
void credential_guard_before(struct credential_guard *guard, const char *function,
                             const char *address, const char *login, credential_guard_fn done,
                             void *data);
#endif
