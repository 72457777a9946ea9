// Internal to src/http: the libcurl set-up shared by Client and ConcurrentRequests.
#pragma once

#include "http/http_client.h"

namespace sweinfer::http::detail {

void EnsureCurl();
// Sets URL, headers (a curl_slist*), body, timeouts and the response callbacks on an easy handle.
void Configure(void* easy_handle, const Request& request, Response& response, void* header_list);

}  // namespace sweinfer::http::detail
