/* assets.c — the dashboard's stylesheet and script, served from the binary (assets.h).  Their
 * paths carry a hash of their content (/assets/app.css?v=1a2b3c4d), so a browser may keep them
 * for a day and still never runs an old script against a new page. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/assets.h"
#include "coordinator/web/web_parts.h"

const tsg_web_embedded_t *
web_asset_find (const char *name)
{
    for (const tsg_web_embedded_t *e = tsg_web_embedded; e->name; e++)
        if (strcmp (e->name, name) == 0)
            return e;
    return NULL;
}

const char *
web_asset_type (const char *name)
{
    const char *dot = strrchr (name, '.');
    if (dot && strcmp (dot, ".css") == 0)
        return "text/css; charset=utf-8";
    if (dot && strcmp (dot, ".js") == 0)
        return "text/javascript; charset=utf-8";
    if (dot && strcmp (dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

const char *
web_asset_path (const char *name)
{
    /* Two paths are asked for, on every page: worked out once each. */
    static char paths[4][96];
    static const char *names[4];
    for (size_t i = 0; i < 4; i++) {
        if (names[i] && strcmp (names[i], name) == 0)
            return paths[i];
        if (!names[i]) {
            const tsg_web_embedded_t *e = web_asset_find (name);
            uint8_t hash[8];
            char hex[17] = "0";
            if (e) {
                crypto_generichash (hash, sizeof hash, e->data, e->len, NULL, 0);
                sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
            }
            snprintf (paths[i], sizeof paths[i], "/assets/%s?v=%s", name, hex);
            names[i] = name;
            return paths[i];
        }
    }
    return "/assets/missing";
}
