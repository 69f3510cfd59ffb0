/* stub */
#include "index.h"
