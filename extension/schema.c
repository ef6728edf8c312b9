/*
 * schema.c — see schema.h.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"

#include "schema.h"

bool
schema_has_sessions(void)
{
	return OidIsValid(get_relname_relid("sessions", get_namespace_oid("chat", false)));
}

/* Whether chat.<table> has the column. */
static bool
has_column(const char *table, const char *column)
{
	Oid			relation = get_relname_relid(table, get_namespace_oid("chat", false));

	return OidIsValid(relation) && get_attnum(relation, column) != InvalidAttrNumber;
}

bool
schema_has_list_at(void)
{
	return has_column("conversation_participants", "list_at");
}

bool
schema_has_joined_seq(void)
{
	return has_column("conversation_participants", "joined_seq");
}

bool
schema_has_last_seen_privacy(void)
{
	return has_column("users", "last_seen_privacy");
}

bool
schema_has_blocks(void)
{
	return OidIsValid(get_relname_relid("blocks", get_namespace_oid("chat", false)));
}

bool
schema_has_attachments(void)
{
	return OidIsValid(get_relname_relid("attachments", get_namespace_oid("chat", false)));
}
