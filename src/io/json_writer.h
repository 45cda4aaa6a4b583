// Moved to the public attnlab/json_writer.h; this forwarder goes once src/cli/ includes that.
#pragma once

#include "attnlab/json_writer.h"
