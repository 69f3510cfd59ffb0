#include "lookup.h"

#include <stdlib.h>
#include <string.h>

#include "cb_map.h"

typedef struct unknown {
        UT_hash_handle hh;
        char id[];
} unknown_t;

struct publish_lookup {
        cb_metric_family_t *syncs;
        int64_t synced_ms;  /* when the table last caught up */
        unknown_t *unknown; /* ids that catch-up did not find */
};

publish_lookup_t *publish_lookup_new(cb_metric_family_t *syncs)
{
        publish_lookup_t *l = calloc(1, sizeof(*l));

        if (l)
                l->syncs = syncs;
        return l;
}

static void forget_unknown(publish_lookup_t *l)
{
        unknown_t *u, *tmp;

        HASH_ITER(hh, l->unknown, u, tmp)
        {
                HASH_DEL(l->unknown, u);
                free(u);
        }
}

void publish_lookup_destroy(publish_lookup_t *l)
{
        if (!l)
                return;
        forget_unknown(l);
        free(l);
}

cb_instance_t *publish_lookup(publish_lookup_t *l, cb_table_t *table, const char *id,
                              int64_t now_ms)
{
        cb_instance_t *inst = cb_table_get(table, id);
        size_t len = strlen(id);
        unknown_t *u;

        if (inst)
                return inst;
        if (now_ms - l->synced_ms < 1000) {
                HASH_FIND(hh, l->unknown, id, len, u);
                if (u)
                        return NULL;
        } else {
                forget_unknown(l); /* what earlier catch-ups did not find is looked for again */
        }
        cb_table_sync(table, 5000);
        if (l->syncs)
                cb_metrics_add(l->syncs, "", 1);
        l->synced_ms = now_ms;
        inst = cb_table_get(table, id);
        if (!inst && (u = malloc(sizeof(*u) + len + 1))) {
                memcpy(u->id, id, len + 1);
                map_add_failed = 0;
                HASH_ADD_KEYPTR(hh, l->unknown, u->id, len, u);
                if (map_add_failed)
                        free(u);
        }
        return inst;
}
