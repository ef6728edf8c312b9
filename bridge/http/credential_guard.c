/* credential_guard (see credential_guard.h). A login is two counts in a row, the address's
 * attempts then the name's. Both count before the call, so guesses sent all at once are held to
 * the limit as well as guesses sent one by one. */
#include "http/credential_guard.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct credential_guard {
    struct rate_limit *limits;
    unsigned window_s;
    unsigned login_address_limit;  /* login and change_password attempts per address */
    unsigned login_name_limit;     /* login attempts per login name */
    unsigned register_address_limit;
};

struct guard_call {
    struct credential_guard *guard;
    credential_guard_fn done;
    void *data;
    unsigned address_limit;
    char name_key[RATE_LIMIT_MAX_KEY + 1]; /* "" when there is no second count */
};

/* "login:name:" + the name as the database compares it (lower case), so case can't dodge it. */
static void name_key(char *out, size_t size, const char *login)
{
    size_t used = (size_t)snprintf(out, size, "login:name:");
    for (; *login && used + 1 < size; login++)
        out[used++] = (char)tolower((unsigned char)*login);
    out[used] = '\0';
}

/* A limit reached: wait for the window to end (at least a second, so the answer is never 0). */
static unsigned wait_for(unsigned retry_after_s) { return retry_after_s ? retry_after_s : 1; }

static void on_name_attempts(void *data, unsigned count, unsigned retry_after_s)
{
    struct guard_call *call = data;
    call->done(call->data, count > call->guard->login_name_limit ? wait_for(retry_after_s) : 0);
    free(call);
}

static void on_attempts(void *data, unsigned count, unsigned retry_after_s)
{
    struct guard_call *call = data;
    if (count > call->address_limit) {
        call->done(call->data, wait_for(retry_after_s));
        free(call);
    } else if (call->name_key[0]) {
        rate_limit_count(call->guard->limits, call->name_key, 1, call->guard->window_s,
                         on_name_attempts, call);
    } else {
        call->done(call->data, 0);
        free(call);
    }
}

void credential_guard_before(struct credential_guard *guard, const char *function,
                             const char *address, const char *login, credential_guard_fn done,
                             void *data)
{
    const char *kind = strcmp(function, "login") == 0             ? "login"
                       : strcmp(function, "register") == 0        ? "register"
                       : strcmp(function, "change_password") == 0 ? "password"
                                                                   : NULL;
    struct guard_call *call = kind ? malloc(sizeof(*call)) : NULL;
    if (!call) { /* not guarded; out of memory lets the call through rather than lock everyone out */
        done(data, 0);
        return;
    }
    *call = (struct guard_call){guard, done, data,
                                kind[0] == 'r' ? guard->register_address_limit
                                               : guard->login_address_limit, ""};
    if (kind[0] == 'l' && login)
        name_key(call->name_key, sizeof(call->name_key), login);
    char key[RATE_LIMIT_MAX_KEY + 1];
    snprintf(key, sizeof(key), "%s:ip:%s", kind, address ? address : "?");
    rate_limit_count(guard->limits, key, 1, guard->window_s, on_attempts, call);
}

struct credential_guard *credential_guard_new(const struct config *config,
                                              struct rate_limit *limits)
{
    struct credential_guard *guard = calloc(1, sizeof(*guard));
    if (!guard)
        return NULL;
    guard->limits = limits;
    guard->window_s = (unsigned)config->limit_window_s;
    guard->login_address_limit = (unsigned)config->login_address_limit;
    guard->login_name_limit = (unsigned)config->login_name_limit;
    guard->register_address_limit = (unsigned)config->register_address_limit;
    return guard;
}

void credential_guard_free(struct credential_guard *guard) { free(guard); }
