#!/bin/sh
# The AVX2 and AVX-512 kernel builds must share no AVX code with the rest of the program: an inline
# function (a std::vector member, say) compiled in two builds is linked once, maybe from the AVX
# build, and the scalar build (or plain library code) would then run it on a CPU without AVX. So
# every weak symbol an AVX build defines outside its own namespace (attnlab::avx2::...) must hold
# no VEX/EVEX-encoded instruction.
#   isa_shared_code_test.sh "OBJ;OBJ;..."   (the object files of the AVX builds; ctest passes them)
command -v objdump >/dev/null && command -v nm >/dev/null || { echo "SKIP: needs binutils (nm, objdump)"; exit 77; }
status=0
for obj in $(echo "$1" | tr ';' ' '); do
  isa=$(echo "$obj" | sed -n 's/.*_kernels_\([a-z0-9]*\)\.dir.*/\1/p')
  for sym in $(nm --defined-only "$obj" | awk '$2 == "W" || $2 == "u" { print $3 }'); do
    case "$(echo "$sym" | c++filt)" in *"attnlab::$isa::"*) continue ;; esac
    if objdump -d --disassemble="$sym" "$obj" | grep -Eq "$(printf '\t')v[a-z0-9]+( |$)"; then
      echo "$obj: $(echo "$sym" | c++filt) is shared with other builds and holds AVX instructions"
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "no AVX code shared between kernel builds"
exit $status
