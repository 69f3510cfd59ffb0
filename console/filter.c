/* stub */
#include "filter.h"
void console_filter_init(console_filter_t *f)
{
}
