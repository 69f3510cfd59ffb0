/* stub: replaced by the real decoder */
#include "record.h"
int console_rec_decode(const console_kafka_rec_t *in, console_rec_t *out, char *errstr,
                       size_t errstr_size)
{
        return -1;
}
