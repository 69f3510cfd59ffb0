#include "close_api.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cb_json.h"
#include "cb_retry_after.h"
#include "cb_time.h"

#define ANSWER_MAX (32 * 1024 * 1024)

typedef struct answer {
        char *data;
        size_t len, cap;
        int too_big;
} answer_t;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        answer_t *a = userdata;
        size_t n = size * nmemb;
        char *more;

        if (a->len + n > ANSWER_MAX) {
                a->too_big = 1;
                return 0;
        }
        if (a->len + n + 1 > a->cap) {
                size_t cap = a->cap ? a->cap : 16384;
                while (cap < a->len + n + 1)
                        cap *= 2;
                more = realloc(a->data, cap);
                if (!more)
                        return 0;
                a->data = more;
                a->cap = cap;
        }
        memcpy(a->data + a->len, ptr, n);
        a->len += n;
        a->data[a->len] = '\0';
        return n;
}

/* libcurl's progress callback: a non-zero return aborts the transfer. */
static int on_progress(void *halt, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
        return halt && __atomic_load_n((const int *)halt, __ATOMIC_ACQUIRE);
}

long ingest_close_rate_limit_wait(const char *retry_after, const char *ratelimit)
{
        int64_t asked = cb_retry_after_ms(retry_after, time(NULL));
        double wait_s = asked > 0 ? (double)asked / 1000 : 0, v;
        const char *reset;
        char *end;

        /* "limit=100, remaining=0, reset=5.3": the reset may be a decimal */
        if (ratelimit && (reset = strstr(ratelimit, "reset="))) {
                v = strtod(reset + 6, &end);
                if (end != reset + 6 && v > wait_s)
                        wait_s = v;
        }
        v = ceil(wait_s * 1000);
        return v < 1000 ? 1000 : v > 86400000 ? 86400000 : (long)v;
}

int ingest_close_page_parse(const char *buf, size_t len, ingest_close_page_t *page, char *errstr,
                            size_t errstr_size)
{
        char err[256] = "";
        yyjson_val *root;
        const char *next;

        memset(page, 0, sizeof(*page));
        page->doc = cb_json_read(buf, len, CB_JSON_MAX_DEPTH, err, sizeof(err));
        root = yyjson_doc_get_root(page->doc);
        page->events = yyjson_obj_get(root, "data");
        if (!yyjson_is_arr(page->events)) {
                snprintf(errstr, errstr_size, "the Event Log answer has no \"data\" list%s%s",
                         *err ? ": " : "", err);
                yyjson_doc_free(page->doc);
                memset(page, 0, sizeof(*page));
                return -1;
        }
        next = yyjson_get_str(yyjson_obj_get(root, "cursor_next"));
        page->cursor_next = next && *next ? next : NULL;
        return 0;
}

ingest_close_result_t ingest_close_fetch(CURL *curl, const char *base, const char *api_key,
                                         int64_t from_us, const char *cursor, long timeout_ms,
                                         const int *halt, ingest_close_page_t *page, long *wait_ms,
                                         char *errstr, size_t errstr_size)
{
        answer_t a = {0};
        struct curl_header *ra = NULL, *rl = NULL;
        char url[2048], date[40];
        char *escaped = NULL;
        ingest_close_result_t res = INGEST_CLOSE_ERROR;
        CURLcode rc;
        long status = 0;

        memset(page, 0, sizeof(*page));
        if (on_progress((void *)halt, 0, 0, 0, 0)) {
                snprintf(errstr, errstr_size, "halted");
                return INGEST_CLOSE_HALTED;
        }
        if (cursor) {
                escaped = curl_easy_escape(curl, cursor, 0);
                snprintf(url, sizeof(url), "%s/event/?_limit=50&_cursor=%s", base,
                         escaped ? escaped : "");
        } else {
                if (cb_time_format_close(from_us, date, sizeof(date))) {
                        snprintf(errstr, errstr_size, "the poll start is not a date Close takes");
                        return INGEST_CLOSE_ERROR;
                }
                escaped = curl_easy_escape(curl, date, 0);
                snprintf(url, sizeof(url), "%s/event/?_limit=50&date_updated__gte=%s", base,
                         escaped ? escaped : "");
        }
        curl_free(escaped);
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(curl, CURLOPT_USERNAME, api_key);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "closebridge/" CB_VERSION);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)halt);
        rc = curl_easy_perform(curl);
        if (rc == CURLE_ABORTED_BY_CALLBACK) {
                snprintf(errstr, errstr_size, "halted");
                res = INGEST_CLOSE_HALTED;
                goto done;
        }
        if (rc != CURLE_OK) {
                snprintf(errstr, errstr_size, "GET %s/event/: %s", base,
                         a.too_big ? "answer too large" : curl_easy_strerror(rc));
                goto done;
        }
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 429) {
                curl_easy_header(curl, "Retry-After", 0, CURLH_HEADER, -1, &ra);
                curl_easy_header(curl, "RateLimit", 0, CURLH_HEADER, -1, &rl);
                *wait_ms =
                    ingest_close_rate_limit_wait(ra ? ra->value : NULL, rl ? rl->value : NULL);
                snprintf(errstr, errstr_size, "rate limited for %ld ms", *wait_ms);
                res = INGEST_CLOSE_RATE_LIMITED;
                goto done;
        }
        if (status == 401 || status == 403) {
                snprintf(errstr, errstr_size, "HTTP %ld: the API key was refused", status);
                res = INGEST_CLOSE_UNAUTHORIZED;
                goto done;
        }
        if (status != 200) {
                snprintf(errstr, errstr_size, "HTTP %ld from %s/event/", status, base);
                goto done;
        }
        if (!ingest_close_page_parse(a.data ? a.data : "", a.len, page, errstr, errstr_size))
                res = INGEST_CLOSE_OK;
done:
        free(a.data);
        return res;
}
