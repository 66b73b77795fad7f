/* Argument helpers shared by the native module's functions (see napi_arguments.h). */
#include "napi_arguments.h"

#include <limits.h>

int path_argument(napi_env env, napi_value value, char *out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, out, PATH_MAX, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "path must be a string");
    return -1;
  }
  if (length >= PATH_MAX - 1) {
    napi_throw_range_error(env, NULL, "path too long");
    return -1;
  }
  return 0;
}

bool arguments_of(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= n) return true;
  napi_throw_type_error(env, NULL, usage);
  return false;
}

napi_value number(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

int typed_argument(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, want == napi_int32_array ? "expected an Int32Array" : want == napi_uint8_array ? "expected a Uint8Array" : "expected a Float64Array");
    return -1;
  }
  return 0;
}
