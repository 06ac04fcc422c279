// pcre2.h must see the code-unit width before it is included; a system-library target
// cannot pass C flags, so this header sets it. Swift cannot see pcre2.h's macros
// (PCRE2_ZERO_TERMINATED, PCRE2_UNSET, the generic function names), so the
// static inline helpers below hand their values over.
#ifndef CHATWARDEN_CPCRE2_SHIM_H
#define CHATWARDEN_CPCRE2_SHIM_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

static inline size_t cw_pcre2_unset(void) { return PCRE2_UNSET; }
static inline size_t cw_pcre2_zero_terminated(void) { return PCRE2_ZERO_TERMINATED; }
#endif
