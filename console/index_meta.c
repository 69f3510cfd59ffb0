/* console index: where its rows come from (the meta table). */
#include "index_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int console_index_cluster(console_index_t *idx, char *out, size_t out_size, char *errstr,
                          size_t errstr_size)
{
        sqlite3_stmt *st;
        int rc;

        if (out_size)
                out[0] = '\0';
        if (sqlite3_prepare_v2(idx->db, "SELECT value FROM meta WHERE key = 'cluster'", -1, &st,
                               NULL) != SQLITE_OK)
                return console_index_err(idx, "cluster", errstr, errstr_size);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                snprintf(out, out_size, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return console_index_err(idx, "cluster", errstr, errstr_size);
        return 0;
}

int console_index_reset(console_index_t *idx, const char *cluster_id, char *errstr,
                        size_t errstr_size)
{
        sqlite3_stmt *st = NULL;
        int ok;

        if (sqlite3_exec(idx->db,
                         "BEGIN IMMEDIATE; DELETE FROM attempts; DELETE FROM events;"
                         " DELETE FROM positions;",
                         NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
        ok = sqlite3_prepare_v2(idx->db,
                                "INSERT INTO meta(key, value) VALUES ('cluster', ?1)"
                                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                -1, &st, NULL) == SQLITE_OK &&
             sqlite3_bind_text(st, 1, cluster_id, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
        if (!ok || sqlite3_exec(idx->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
        /* positions held for the next commit are gone too */
        while (idx->npos)
                free(idx->pos[--idx->npos].topic);
        return 0;
fail:
        console_index_err(idx, "reset", errstr, errstr_size);
        sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
}
