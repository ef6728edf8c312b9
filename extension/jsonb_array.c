/*
 * jsonb_array.c — see jsonb_array.h. The layout is jsonb's own (utils/jsonb.h): a varlena
 * header, the container header (count | JB_FARRAY), one JEntry per element holding its length,
 * or, every JB_OFFSET_STRIDE'th, its end offset; then the elements, each a container aligned
 * to 4 bytes, the padding counted in the length of the element it precedes.
 */
#include "postgres.h"

#include "jsonb_array.h"

#define ARRAY_HEADER_SIZE(count) (VARHDRSZ + sizeof(uint32) + sizeof(JEntry) * (count))

void
jsonb_array_start(JsonbArrayBuilder *builder, int count, Size size_hint)
{
	Size		header = ARRAY_HEADER_SIZE(count);
	uint32		container = (uint32) count | JB_FARRAY;

	initStringInfo(&builder->buffer);
	enlargeStringInfo(&builder->buffer, header + size_hint);
	memcpy(builder->buffer.data + VARHDRSZ, &container, sizeof(uint32));
	builder->buffer.len = header;
	builder->count = count;
	builder->added = 0;
	builder->data_start = header;
}

void
jsonb_array_add(JsonbArrayBuilder *builder, const Jsonb *element)
{
	StringInfo	buffer = &builder->buffer;
	int			start = buffer->len;
	int			padding = INTALIGN(start) - start;
	Size		size = VARSIZE(element) - VARHDRSZ;
	uint32		end;
	JEntry		entry;

	Assert(builder->added < builder->count);
	Assert(!JB_ROOT_IS_SCALAR(element));
	enlargeStringInfo(buffer, padding + size);
	memset(buffer->data + start, 0, padding);
	memcpy(buffer->data + start + padding, &element->root, size);
	buffer->len += padding + size;

	end = buffer->len - builder->data_start;
	if (end > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the list exceeds the maximum jsonb array size of %u bytes",
						JENTRY_OFFLENMASK)));
	if (builder->added % JB_OFFSET_STRIDE == 0)
		entry = JENTRY_ISCONTAINER | JENTRY_HAS_OFF | end;
	else
		entry = JENTRY_ISCONTAINER | (uint32) (buffer->len - start);
	memcpy(buffer->data + VARHDRSZ + sizeof(uint32) + sizeof(JEntry) * builder->added,
		   &entry, sizeof(JEntry));
	builder->added++;
}

Jsonb *
jsonb_array_finish(JsonbArrayBuilder *builder)
{
	Assert(builder->added == builder->count);
	SET_VARSIZE(builder->buffer.data, builder->buffer.len);
	return (Jsonb *) builder->buffer.data;
}
