#ifndef VARSEL_CMALLOC_SHIM_H
#define VARSEL_CMALLOC_SHIM_H

/*
 * glibc's malloc tunables (mallopt, M_ARENA_MAX), which Swift's Glibc module does not bring in.
 */

#include <malloc.h>

#endif /* VARSEL_CMALLOC_SHIM_H */
