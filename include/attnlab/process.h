// Process-wide behaviour a command-line front end sets up once, first thing in main(). The library
// itself never installs signal handlers; an embedding program keeps its own unless it calls this.
#pragma once

namespace attnlab {

// After this call:
// - SIGINT and SIGTERM remove every temporary file attnlab is writing (figures, array files, cache
//   entries; never a download's resumable .incomplete file), then end the process by the same
//   signal, so the shell sees exit status 130 or 143.
// - SIGPIPE and SIGXFSZ are ignored: writing to a closed pipe or past `ulimit -f` fails with
//   EPIPE / EFBIG, which attnlab reports as an error (exit 4) after removing its temporary file.
// - A failed allocation inside GLib (pango, fontconfig), which GLib would turn into SIGTRAP, prints
//   "attnlab: error: out of memory" and exits with status 1 after removing the temporary files.
void install_process_handlers();

}  // namespace attnlab
