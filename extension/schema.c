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

bool
schema_has_list_at(void)
{
	Oid			relation = get_relname_relid("conversation_participants",
											 get_namespace_oid("chat", false));

	return OidIsValid(relation) &&
		get_attnum(relation, "list_at") != InvalidAttrNumber;
}
