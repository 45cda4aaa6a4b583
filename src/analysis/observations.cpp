// Key-observation statistics (see observations.h).
#include "attnlab/observations.h"

namespace attnlab {

float mean_interaction_strength(const Matrix& w) {
  double sum = 0.0;
  for (float v : w.data) sum += v;
  return w.data.empty() ? 0.0f : static_cast<float>(sum / static_cast<double>(w.data.size()));
}

int strongest_index(std::span<const float> values) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(values.size()); ++i)
    if (values[i] > values[best]) best = i;
  return best;
}

}  // namespace attnlab
