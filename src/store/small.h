/*
 * small.h: a small object (a manifest) read whole into memory through any store, with a cap on
 * its size so that a stray large object under a manifest's key costs no more than the cap.
 * The caller owns the Buf (initialized and empty: the cap counts its length) and decides what
 * an object over the cap means.
 */
#ifndef EBB_STORE_SMALL_H
#define EBB_STORE_SMALL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "store/store.h"

/* Reads key into out. An object of more than max bytes is read no further: *too_big is set,
 * out holds the whole writes that fitted, and this still returns true. False (err set) when
 * the store could not read the object. */
bool store_small_read(Store *store, const char *key, size_t max, Buf *out, bool *too_big,
					  EbbError *err);

#endif
