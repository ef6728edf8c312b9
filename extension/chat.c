/*
 * chat.c — entry point of the chat extension: the module magic, the settings (GUCs) and the
 * hooks other modules need once per backend.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include <sodium.h>

#include "attachments.h"
#include "chat.h"
#include "token.h"

PG_MODULE_MAGIC;

/* OWASP's floor for argon2id: 19 MiB of memory, 2 passes, 1 lane. */
#define PASSWORD_MEMORY_FLOOR_KIB	19456
#define PASSWORD_PASSES_FLOOR		2

int			chat_password_memory_kib = PASSWORD_MEMORY_FLOOR_KIB;
int			chat_password_passes = PASSWORD_PASSES_FLOOR;
int			chat_token_lifetime = 7 * 24 * 3600;

void		_PG_init(void);

void
_PG_init(void)
{
	if (sodium_init() < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("libsodium could not be initialized")));

	DefineCustomIntVariable("chat.password_memory_kib",
							"Memory cost of new argon2id password hashes, in KiB.",
							"Never below OWASP's floor of 19 MiB; older hashes are upgraded at the next login.",
							&chat_password_memory_kib,
							PASSWORD_MEMORY_FLOOR_KIB, PASSWORD_MEMORY_FLOOR_KIB, 1024 * 1024,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("chat.password_passes",
							"Time cost (passes) of new argon2id password hashes.",
							"Never below OWASP's floor of 2; older hashes are upgraded at the next login.",
							&chat_password_passes,
							PASSWORD_PASSES_FLOOR, PASSWORD_PASSES_FLOOR, 20,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("chat.token_lifetime",
							"Lifetime of the tokens issued at login and registration.",
							NULL,
							&chat_token_lifetime,
							7 * 24 * 3600, 60, 365 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("chat.attachment_max_size",
							"The largest file a user may upload.",
							"Checked against the size declared when an upload begins, and against the bytes that arrive.",
							&chat_attachment_max_size,
							16 * 1024 * 1024, 1, 1024 * 1024 * 1024,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("chat.attachment_quota",
							"How many bytes of files each user may store, sent or not.",
							NULL,
							&chat_attachment_quota_kib,
							1024 * 1024, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB, NULL, NULL, NULL);
	DefineCustomIntVariable("chat.attachment_expiry",
							"How long an upload may wait to be sent before it is deleted.",
							NULL,
							&chat_attachment_expiry,
							24 * 3600, 60, 365 * 24 * 3600,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);
	MarkGUCPrefixReserved("chat");

	token_init();
}
