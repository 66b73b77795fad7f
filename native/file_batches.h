/* readFiles, readFilesAhead and filesRead (see file_batches.c), added to the module's exports. */
#ifndef FILE_BATCHES_H
#define FILE_BATCHES_H

#include <node_api.h>

void define_file_batches(napi_env env, napi_value exports);

#endif
