/* ids: the one check of a uuid in text, as the bridge receives ids from clients, Redis and the
 * database. The extension checks ids again; this spares it what is plainly not one and keeps
 * map keys and Redis keys in one (lower-case) form. */
#ifndef PGCHAT_IDS_H
#define PGCHAT_IDS_H

#define IDS_UUID_LEN 36 /* a uuid in text, without its terminator */

/* Whether text (NULL allowed) is a uuid in canonical text form: 36 characters, hex digits of
 * either case, hyphens at 8, 13, 18 and 23. */
int ids_is_uuid(const char *text);

/* The same check; when it passes, the id lowered into out (terminated). Returns 1 or 0. */
int ids_normalize_uuid(const char *text, char out[IDS_UUID_LEN + 1]);

#endif
