/* ingest topics: the topics ingest writes, created when missing, and the largest record they
 * take, from which follows the largest event ingest accepts (docs/limits.md). */
#ifndef INGEST_TOPICS_H
#define INGEST_TOPICS_H

#include <stddef.h>

#include "ingest.h"

/* Creates closeio.events, closeio.instances and closeio.poller.state when missing, sized so
 * that an envelope of a body of max-body-bytes fits them and every topic it travels through
 * after them (publish sizes the retry topics and the DLQ after closeio.events). Then reads what
 * closeio.events and the DLQ (when it exists) really take and sets ing->record_max: the
 * largest envelope record ingest produces, CB_RECORD_HEADROOM below the smallest of them. When
 * existing topics take less than max-body-bytes needs, it warns once, naming the topic, the
 * body size that still fits, and the fix. Needs ing->kafka and ing->producer. Returns 0, or -1
 * with errstr set. Blocks up to kafka-timeout-ms (twice). */
int ingest_topics_setup(ingest_t *ing, char *errstr, size_t errstr_size);

#endif
