#include "item.h"

#include <stdlib.h>
#include <string.h>

void publish_item_free(publish_item_t *it)
{
        if (!it)
                return;
        if (it->rkm)
                rd_kafka_message_destroy(it->rkm);
        cb_instance_release(it->inst);
        free(it->key);
        free(it->body);
        free(it);
}

const char *publish_item_topic(const publish_item_t *it)
{
        return rd_kafka_topic_name(it->rkm->rkt);
}

char *publish_item_header(const rd_kafka_message_t *rkm, const char *name)
{
        rd_kafka_headers_t *hdrs;
        const void *val;
        size_t size;
        char *s;

        if (rd_kafka_message_headers(rkm, &hdrs) ||
            rd_kafka_header_get_last(hdrs, name, &val, &size) || !val)
                return NULL;
        s = malloc(size + 1);
        if (s) {
                memcpy(s, val, size);
                s[size] = '\0';
        }
        return s;
}
