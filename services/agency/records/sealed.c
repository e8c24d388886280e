/* sealed.c — opening bodies sealed to this agency (sealed.h), and counting each decryption. */
#include <string.h>

#include "agency/records/sealed.h"

const char *
agency_sealed_open (tsg_boxer_t *boxer, uint64_t *opened, const uint8_t sender_box[32],
                    const uint8_t *box, size_t box_len, json_t **content)
{
    if (content)
        *content = NULL;
    if (opened)
        (*opened)++;
    Tsunagu__V1__Body *body = NULL;
    int rc = tsg_body_open (boxer, sender_box, box, box_len, &body);
    if (rc != TSG_OK)
        return rc == TSG_ERR_CRYPTO ? "the body does not open with the sender's key"
                                    : "the body holds no readable content";
    const char *why = NULL;
    json_t *object = NULL;
    if (!body->content_type || strcmp (body->content_type, "application/json") != 0)
        why = "the body is not application/json";
    else {
        object = json_loadb ((const char *) body->content.data, body->content.len, 0, NULL);
        if (!json_is_object (object)) {
            why = "the body is not a JSON object";
            json_decref (object);
            object = NULL;
        }
    }
    tsunagu__v1__body__free_unpacked (body, NULL);
    if (content)
        *content = object;
    else
        json_decref (object);
    return why;
}

const Tsunagu__V1__SealedBody *
agency_sealed_ours (const tsg_letter_t *letter, const char *agency_id)
{
    for (size_t i = 0; i < letter->n_sealed_bodies; i++) {
        const Tsunagu__V1__SealedBody *body = letter->sealed_bodies[i];
        if (body && body->recipient && strcmp (body->recipient, agency_id) == 0)
            return body;
    }
    return NULL;
}

const char *
agency_sealed_letter (tsg_boxer_t *boxer, uint64_t *opened, const char *agency_id,
                      const uint8_t sender_box[32], const tsg_letter_t *letter, json_t **content)
{
    *content = NULL;
    if (!sender_box)
        return NULL;
    if (letter->n_sealed_bodies > 0) {
        const Tsunagu__V1__SealedBody *ours = agency_sealed_ours (letter, agency_id);
        if (!ours)
            return NULL;
        return agency_sealed_open (boxer, opened, sender_box, ours->box.data, ours->box.len,
                                   content);
    }
    if (letter->body.len == 0)
        return NULL;
    return agency_sealed_open (boxer, opened, sender_box, letter->body.data, letter->body.len,
                               content);
}
