/* publish topics: the topics publish reads and writes, created when missing, with room on
 * every topic an envelope moves to for the largest record of closeio.events (docs/limits.md). */
#ifndef PUBLISH_TOPICS_H
#define PUBLISH_TOPICS_H

#include <stddef.h>

#include "publish.h"

/* Creates what publish_topics names when missing. The retry topics and the DLQ get the
 * max.message.bytes closeio.events has (at least topic-max-message-bytes), so a record moved
 * there with publish's headers fits (CB_RECORD_HEADROOM); closeio.events itself, when publish
 * is first, gets topic-max-message-bytes. Existing retry topics or a DLQ that take less than
 * closeio.events get a warning naming them and the fix. Needs pub->prk and the topic names.
 * Returns 0, or -1 with errstr set. Blocks up to kafka-timeout-ms (three times). */
int publish_topics_setup(publish_t *pub, char *errstr, size_t errstr_size);

#endif
