/* fuzz_web_form.c — a form posted to the dashboard, as any bytes: the decoder never crashes or
 * reads past the body, refuses the whole form or keeps promises (at most TSG_WEB_FORM_FIELDS
 * fields, every name non-empty and every name and value printable UTF-8 within the body's
 * length), and the case event request made from it is either refused with a code or a JSON
 * object naming the case, the actor and the command; URL-encoding what was decoded gives text
 * that decodes back to the same. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/web/case_form.h"
#include "coordinator/web/form.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsunagu.h"

#define CASE_ID "0a000000-0000-4000-8000-00000000000a"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Checks that value survives url_encode and a decode of "v=<encoded>". */
static void
s_round_trip (const char *value)
{
    char encoded[3 * 4096 + 1];
    if (strlen (value) > 4096 || !tsg_web_url_encode (value, encoded, sizeof encoded))
        return;
    char body[sizeof encoded + 2] = "v=";
    memcpy (body + 2, encoded, strlen (encoded) + 1);
    tsg_web_form_t again;
    if (!tsg_web_form_parse (&again, body, strlen (body)))
        abort (); /* what the decoder accepted, encoded, is a form */
    const char *back = tsg_web_form_get (&again, "v");
    if (!back || strcmp (back, value) != 0)
        abort ();
    tsg_web_form_free (&again);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    tsg_web_form_t form;
    if (!tsg_web_form_parse (&form, (const char *) data, size)) {
        if (form.count != 0 || form.buffer)
            abort (); /* a refusal leaves the form empty */
        return 0;
    }
    if (form.count > TSG_WEB_FORM_FIELDS)
        abort ();
    for (size_t i = 0; i < form.count; i++) {
        size_t name = strlen (form.names[i]), value = strlen (form.values[i]);
        if (name == 0 || name > size || value > size)
            abort ();
        if (!tsg_text_ok (form.names[i], name) || (value && !tsg_text_ok (form.values[i], value)))
            abort ();
        if (tsg_web_form_get (&form, form.names[i]) == NULL)
            abort ();
        s_round_trip (form.values[i]);
    }
    const char *code = NULL;
    json_t *request = web_case_event_request (&form, CASE_ID, "fuzz-user", &code);
    if (request) {
        if (code || !json_is_object (request))
            abort ();
        const char *command = json_string_value (json_object_get (request, "command"));
        const char *case_id = json_string_value (json_object_get (request, "case_id"));
        const char *actor = json_string_value (json_object_get (request, "actor"));
        if (!command || strcmp (command, "case-event") != 0 || !case_id
            || strcmp (case_id, CASE_ID) != 0 || !actor || strcmp (actor, "fuzz-user") != 0)
            abort ();
        json_int_t base = json_integer_value (json_object_get (request, "base_version"));
        if (base < 1)
            abort ();
        char *text = json_dumps (request, JSON_COMPACT);
        if (!text)
            abort ();
        free (text);
        json_decref (request);
    }
    else if (!code || !*code)
        abort (); /* a refusal names its code */
    tsg_web_form_free (&form);
    return 0;
}
