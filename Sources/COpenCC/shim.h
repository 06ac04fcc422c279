// OpenCC's C API: used once at start-up to derive a character-level
// traditional → simplified table from Debian's dictionaries.
#ifndef CHATWARDEN_COPENCC_SHIM_H
#define CHATWARDEN_COPENCC_SHIM_H
#include <opencc/opencc.h>
#endif
