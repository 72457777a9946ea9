// Standard base64 (RFC 4648, with padding), the one encoder of the project: report data, inline
// images for model APIs.
#pragma once

#include <string>
#include <string_view>

namespace sweinfer {

std::string Base64Encode(std::string_view bytes);

}  // namespace sweinfer
