/*
 * attachment_sniff.c — see attachment_sniff.h. Signatures as the formats define them (magic
 * numbers at fixed offsets); text is valid UTF-8 with no control characters but layout ones.
 */
#include "attachment_sniff.h"

#include <string.h>

static bool
starts(const unsigned char *bytes, size_t length, size_t at, const char *magic, size_t magic_length)
{
	return length >= at + magic_length && memcmp(bytes + at, magic, magic_length) == 0;
}

/* Whether needle occurs in the first `length` bytes (formats that name their codecs early). */
static bool
contains(const unsigned char *bytes, size_t length, const char *needle)
{
	size_t		n = strlen(needle);

	for (size_t i = 0; n <= length && i <= length - n; i++)
		if (memcmp(bytes + i, needle, n) == 0)
			return true;
	return false;
}

/* A WebM (Matroska with DocType "webm") is video when one of its tracks has a video codec id. */
static const char *
sniff_webm(const unsigned char *bytes, size_t length)
{
	size_t		head = length < 64 ? length : 64;

	if (!starts(bytes, length, 0, "\x1a\x45\xdf\xa3", 4) || !contains(bytes, head, "webm"))
		return NULL;
	if (contains(bytes, length, "V_VP8") || contains(bytes, length, "V_VP9") ||
		contains(bytes, length, "V_AV1"))
		return "video/webm";
	return "audio/webm";
}

/* Whether a handler box (hdlr: version and flags, pre_defined, then the type) of this kind
 * occurs in the bytes. */
static bool
has_handler(const unsigned char *bytes, size_t length, const char *kind)
{
	for (size_t i = 0; i + 16 <= length; i++)
		if (memcmp(bytes + i, "hdlr", 4) == 0 && memcmp(bytes + i + 12, kind, 4) == 0)
			return true;
	return false;
}

/* An ISO base media file (ftyp box first): M4A brands are audio; otherwise a movie. */
static const char *
sniff_mp4(const unsigned char *bytes, size_t length)
{
	static const char *const brands[] = {"isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42",
	"avc1", "M4A ", "M4V ", "dash", "MSNV", NULL};

	if (!starts(bytes, length, 4, "ftyp", 4) || length < 12)
		return NULL;
	for (int i = 0; brands[i]; i++)
		if (memcmp(bytes + 8, brands[i], 4) == 0)
		{
			if (strcmp(brands[i], "M4A ") == 0)
				return "audio/mp4";
			/* a movie with no video handler in its header is sound only (AAC in MP4) */
			if (has_handler(bytes, length, "vide") || !has_handler(bytes, length, "soun"))
				return "video/mp4";
			return "audio/mp4";
		}
	return NULL;
}

/*
 * Valid UTF-8 with no control characters but tab, line feed, form feed and carriage return. A
 * start that is not the whole file may end inside a character.
 */
static bool
is_text(const unsigned char *bytes, size_t length, bool whole)
{
	size_t		i = 0;

	if (length == 0)
		return false;
	while (i < length)
	{
		unsigned char c = bytes[i];
		size_t		n;
		unsigned int point;

		if (c < 0x80)
		{
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2, point = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3, point = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4, point = c & 0x07;
		else
			return false;
		if (i + n > length)
			return !whole;		/* cut by the end of the chunk */
		for (size_t k = 1; k < n; k++)
		{
			if ((bytes[i + k] & 0xc0) != 0x80)
				return false;
			point = point << 6 | (bytes[i + k] & 0x3f);
		}
		if ((n == 3 && (point < 0x800 || (point >= 0xd800 && point <= 0xdfff))) ||
			(n == 4 && (point < 0x10000 || point > 0x10ffff)))
			return false;
		i += n;
	}
	return true;
}

const char *
attachment_sniff(const unsigned char *bytes, size_t length, bool whole)
{
	const char *type;

	if (starts(bytes, length, 0, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (starts(bytes, length, 0, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (starts(bytes, length, 0, "RIFF", 4) && starts(bytes, length, 8, "WEBP", 4))
		return "image/webp";
	if (starts(bytes, length, 0, "GIF87a", 6) || starts(bytes, length, 0, "GIF89a", 6))
		return "image/gif";
	if (starts(bytes, length, 0, "%PDF-", 5))
		return "application/pdf";
	/* an Ogg page whose first packet is an Opus identification header */
	if (starts(bytes, length, 0, "OggS", 4) && starts(bytes, length, 28, "OpusHead", 8))
		return "audio/ogg";
	if ((type = sniff_webm(bytes, length)) != NULL)
		return type;
	if ((type = sniff_mp4(bytes, length)) != NULL)
		return type;
	if (is_text(bytes, length, whole))
		return "text/plain";
	return NULL;
}

bool
attachment_sniff_thumbnail(const unsigned char *bytes, size_t length)
{
	return starts(bytes, length, 0, "\xff\xd8\xff", 3) ||
		starts(bytes, length, 0, "\x89PNG\r\n\x1a\n", 8) ||
		(starts(bytes, length, 0, "RIFF", 4) && starts(bytes, length, 8, "WEBP", 4));
}
