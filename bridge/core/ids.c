/* ids: the uuid check shared by sockets, REST, presence and fan-out (see ids.h). */
#include "core/ids.h"

#include <ctype.h>
#include <string.h>

static int ids_hyphen_at(int i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

int ids_is_uuid(const char *text)
{
    if (!text || strlen(text) != IDS_UUID_LEN)
        return 0;
    for (int i = 0; i < IDS_UUID_LEN; i++) {
        unsigned char c = (unsigned char)text[i];
        if (ids_hyphen_at(i) ? c != '-' : !isxdigit(c))
            return 0;
    }
    return 1;
}

int ids_normalize_uuid(const char *text, char out[IDS_UUID_LEN + 1])
{
    if (!ids_is_uuid(text))
        return 0;
    for (int i = 0; i < IDS_UUID_LEN; i++)
        out[i] = (char)tolower((unsigned char)text[i]);
    out[IDS_UUID_LEN] = '\0';
    return 1;
}
