/*
 * Argument helpers shared by the native module's functions: each returns
 * failure with a JavaScript exception pending, which the caller passes on by
 * returning NULL.
 */
#ifndef NAPI_ARGUMENTS_H
#define NAPI_ARGUMENTS_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

/* A path argument into out (PATH_MAX bytes): 0, or -1 when it is not a string that fits. */
int path_argument(napi_env env, napi_value value, char *out);

/* The call's first `n` arguments into argv, or false (a TypeError naming `usage`) when fewer were given. */
bool arguments_of(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage);

/* A typed array argument's data and length: 0, or -1 when it is not a typed array of type `want`. */
int typed_argument(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length);

/* A JavaScript number. */
napi_value number(napi_env env, double v);

#endif
