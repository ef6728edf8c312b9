/*
 * password.c — argon2id hashing through libsodium's crypto_pwhash_str, which stores the
 * algorithm, cost and salt in the PHC string itself, so old hashes stay verifiable when the
 * cost GUCs rise and are upgraded at the next successful login.
 */
#include "postgres.h"

#include <sodium.h>

#include "utils/memutils.h"

#include "chat.h"
#include "password.h"

static unsigned long long
memory_bytes(void)
{
	return (unsigned long long) chat_password_memory_kib * 1024;
}

void
password_check(size_t length)
{
	if (length < PASSWORD_MIN_BYTES || length > PASSWORD_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("password must be %d to %d bytes long", PASSWORD_MIN_BYTES, PASSWORD_MAX_BYTES)));
}

char *
password_hash(const char *password, size_t length)
{
	char	   *hash = palloc(crypto_pwhash_STRBYTES);

	if (crypto_pwhash_str_alg(hash, password, length, chat_password_passes, memory_bytes(),
							  crypto_pwhash_ALG_ARGON2ID13) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while hashing a password"),
				 errdetail("argon2id needs %d KiB per hash.", chat_password_memory_kib)));
	return hash;
}

bool
password_verify(const char *hash, const char *password, size_t length)
{
	return crypto_pwhash_str_verify(hash, password, length) == 0;
}

/*
 * The dummy hash is made once per backend and cost; its making is paid by the first login of
 * the backend whatever its outcome (see users.c), so it reveals nothing either.
 */
static char *dummy_hash = NULL;
static int	dummy_memory_kib;
static int	dummy_passes;

void
password_verify_dummy(const char *password, size_t length)
{
	if (dummy_hash == NULL || dummy_memory_kib != chat_password_memory_kib ||
		dummy_passes != chat_password_passes)
	{
		unsigned char random_password[32];
		char	   *fresh;

		randombytes_buf(random_password, sizeof(random_password));
		fresh = password_hash((const char *) random_password, sizeof(random_password));
		if (dummy_hash != NULL)
			pfree(dummy_hash);
		dummy_hash = MemoryContextStrdup(TopMemoryContext, fresh);
		dummy_memory_kib = chat_password_memory_kib;
		dummy_passes = chat_password_passes;
	}
	if (password != NULL)
		(void) password_verify(dummy_hash, password, length);
}

bool
password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, chat_password_passes, memory_bytes()) != 0;
}
