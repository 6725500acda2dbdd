#ifndef VARSEL_CCURL_SHIM_H
#define VARSEL_CCURL_SHIM_H

/*
 * Typed, non-variadic entry points into libcurl for Swift.
 *
 * Swift cannot call C variadic functions such as curl_easy_setopt,
 * curl_easy_getinfo or curl_multi_setopt, and it does not import macros
 * that contain casts (CURLAUTH_BASIC, CURL_GLOBAL_ALL). Each wrapper below
 * fixes the type of the variadic argument, so the caller must pick the
 * wrapper that matches the option's documented type.
 */

#include <curl/curl.h>

/* The signature of CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION. */
typedef size_t (*varsel_curl_data_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

/* ---- curl_global_init ---------------------------------------------------- */

static inline CURLcode varsel_curl_global_init_all(void) {
    return curl_global_init(CURL_GLOBAL_ALL);
}

/* ---- constants that Swift cannot import --------------------------------- */

static inline unsigned long varsel_curlauth_basic(void) {
    return CURLAUTH_BASIC;
}

static inline size_t varsel_curl_error_size(void) {
    return CURL_ERROR_SIZE;
}

/* ---- curl_easy_setopt ---------------------------------------------------- */

static inline CURLcode varsel_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode varsel_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/* For options whose string libcurl copies (CURLOPT_URL, CURLOPT_COPYPOSTFIELDS, ...). */
static inline CURLcode varsel_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/* For options that keep a pointer the caller owns (CURLOPT_ERRORBUFFER, CURLOPT_POSTFIELDS). */
static inline CURLcode varsel_easy_setopt_mutable_string(CURL *handle, CURLoption option, char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode varsel_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode varsel_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/* For CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION. */
static inline CURLcode varsel_easy_setopt_data_callback(CURL *handle, CURLoption option, varsel_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/* ---- curl_easy_getinfo --------------------------------------------------- */

static inline CURLcode varsel_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode varsel_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode varsel_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode varsel_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

static inline CURLcode varsel_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value) {
    return curl_easy_getinfo(handle, info, value);
}

/* ---- curl_multi_setopt --------------------------------------------------- */

static inline CURLMcode varsel_multi_setopt_long(CURLM *handle, CURLMoption option, long value) {
    return curl_multi_setopt(handle, option, value);
}

#endif /* VARSEL_CCURL_SHIM_H */
