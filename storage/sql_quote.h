// Quoting for the SQL text clevertim-sync builds from model names: table and column names,
// trigger messages. Never used to put data into SQL; data is bound as parameters.
#pragma once

#include <string>
#include <string_view>

namespace clevertim::storage {

// SQL string literal for a message built from model names (never from data).
std::string sql_literal(std::string_view text);

// Double-quoted identifier ("end" and "groups" are SQL keywords).
std::string sql_identifier(std::string_view name);

}  // namespace clevertim::storage
