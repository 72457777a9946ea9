// Settings that run-api reads from outside its flags: `.env` files (read like python-dotenv:
// KEY=VALUE lines, optional `export`, quotes, comments; the real environment wins) and
// `--model_args "k=v,..."` with the reference's type inference (True/False, None, int, float,
// [] / {}, quoted strings, otherwise a string).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "dataset/jsonl.h"

namespace sweinfer::api {

// Parses a .env file; a missing file gives an empty map.
std::map<std::string, std::string> ReadDotEnv(const std::string& path);

// The value of `name` from the environment, else from the .env map.
std::optional<std::string> Setting(const std::map<std::string, std::string>& dotenv, const std::string& name);

dataset::Record ParseModelArgs(const std::string& text);

}  // namespace sweinfer::api
