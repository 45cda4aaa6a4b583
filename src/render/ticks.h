// Axis ticks as matplotlib chooses and prints them: MaxNLocator(nbins="auto", steps=[1, 2, 2.5, 5, 10])
// (AutoLocator) and ScalarFormatter's choice of decimals, with its Unicode minus sign.
#pragma once

#include <string>
#include <vector>

namespace attnlab {

// AutoLocator's ticks for the view interval [vmin, vmax], only those inside it. nbins as matplotlib's
// "auto": the axis length in points over twice the tick font size (vertical axes), clipped to [1, 9].
std::vector<double> auto_ticks(double vmin, double vmax, int nbins);
int auto_nbins_vertical(double axis_length_pt, double tick_font_pt);

// ScalarFormatter labels for the visible ticks (no offset or scientific notation: attention values
// never need it): the fewest decimals that tell the ticks apart, "−" (U+2212) for negatives.
std::vector<std::string> format_ticks(const std::vector<double>& ticks);

}  // namespace attnlab
