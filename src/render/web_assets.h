// The viewer page's sources (web/src/), embedded at build time by cmake/embed_web.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace attnlab::web {

std::string_view viewer_template();  // web/src/viewer.html
std::string_view viewer_css();       // every web/src/*.css, in file-name order
std::string_view viewer_js();        // every web/src/*.js, in file-name order

}  // namespace attnlab::web
