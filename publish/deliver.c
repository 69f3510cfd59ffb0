#include "deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

struct publish_deliverer {
        CURL *curl;
        long timeout_ms;
        char *user_agent;
};

/* Reads and drops the receiver's answer. */
static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        (void)ptr;
        (void)userdata;
        return size * nmemb;
}

publish_deliverer_t *publish_deliverer_new(long timeout_ms, const char *user_agent)
{
        publish_deliverer_t *d = calloc(1, sizeof(*d));

        if (!d)
                return NULL;
        d->curl = curl_easy_init();
        if (!d->curl) {
                free(d);
                return NULL;
        }
        d->timeout_ms = timeout_ms;
        d->user_agent = user_agent ? strdup(user_agent) : NULL;
        return d;
}

void publish_deliverer_destroy(publish_deliverer_t *d)
{
        if (!d)
                return;
        curl_easy_cleanup(d->curl);
        free(d->user_agent);
        free(d);
}

long publish_deliver(publish_deliverer_t *d, const char *url, const char *const *headers, size_t n,
                     const char *body, size_t len, char *errstr, size_t errstr_size)
{
        struct curl_slist *list = NULL, *tmp;
        CURL *c = d->curl;
        CURLcode rc;
        long status = -1;
        size_t i;

        for (i = 0; i < n; i++) {
                tmp = curl_slist_append(list, headers[i]);
                if (!tmp) {
                        snprintf(errstr, errstr_size, "out of memory");
                        goto done;
                }
                list = tmp;
        }
        /* "Expect: 100-continue" would cost a round trip on larger bodies. */
        tmp = curl_slist_append(list, "Expect:");
        if (tmp)
                list = tmp;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, d->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         d->timeout_ms < 5000 ? d->timeout_ms : 5000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        if (d->user_agent)
                curl_easy_setopt(c, CURLOPT_USERAGENT, d->user_agent);
        rc = curl_easy_perform(c);
        if (rc != CURLE_OK) {
                snprintf(errstr, errstr_size, "%s", curl_easy_strerror(rc));
                goto done;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
done:
        curl_slist_free_all(list);
        return status;
}
