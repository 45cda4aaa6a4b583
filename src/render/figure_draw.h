// Internal: draws a Figure onto any canvas, in pixels at `dpi` (used by save_figure for every format).
#pragma once

#include "render/canvas.h"
#include "attnlab/figure.h"

namespace attnlab {

void render_figure(Canvas& canvas, const Figure& fig, double dpi);

}  // namespace attnlab
