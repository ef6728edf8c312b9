/*
 * chat.h — settings of the chat extension, shared by its modules.
 * The values are GUCs defined in chat.c's _PG_init; see docs/operations.md.
 */
#ifndef CHAT_H
#define CHAT_H

/* argon2id cost of new password hashes: memory in KiB and passes (never below OWASP's floor). */
extern int	chat_password_memory_kib;
extern int	chat_password_passes;

/* lifetime of an issued token, in seconds */
extern int	chat_token_lifetime;

#endif
