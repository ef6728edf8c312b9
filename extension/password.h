/*
 * password.h — argon2id password hashes (libsodium), at the cost the GUCs set.
 */
#ifndef CHAT_PASSWORD_H
#define CHAT_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_MIN_BYTES 8
#define PASSWORD_MAX_BYTES 1024

/* Raises 22023 unless the password is 8 to 1024 bytes. */
extern void password_check(size_t length);

/* An argon2id PHC string of the password at the current cost; palloc'd. */
extern char *password_hash(const char *password, size_t length);

/* Whether the password matches the hash; takes the same time for any wrong password. */
extern bool password_verify(const char *hash, const char *password, size_t length);

/*
 * Spends the time of one failed verification, for a login whose user doesn't exist, so
 * its timing can't tell it from a wrong password.
 */
extern void password_verify_dummy(const char *password, size_t length);

/* Whether a hash was made with another cost than the current one. */
extern bool password_needs_rehash(const char *hash);

#endif
