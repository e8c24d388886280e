/* The files of web/assets/ compiled into the binary by cmake/embed.cmake. */
#ifndef TSG_HUB_WEB_ASSETS_H_INCLUDED
#define TSG_HUB_WEB_ASSETS_H_INCLUDED

#include <stddef.h>

/* One embedded file. */
typedef struct {
    const char *name;          /* its file name ("app.css") */
    const unsigned char *data; /* its bytes (and a NUL after them) */
    size_t len;                /* their count */
} tsg_web_embedded_t;

/* Every embedded file, ended by an entry whose name is NULL. */
extern const tsg_web_embedded_t tsg_web_embedded[];

#endif
