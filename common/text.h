// Small text helpers shared by the loaders and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace edgenas {

// Levenshtein edit distance, for "did you mean" suggestions.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" if none is close enough to be a
// plausible typo (distance at most max(2, |word| / 3)).
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string JoinStrings(const std::vector<std::string>& items, std::string_view separator = ", ");

// 1234567 -> "1,234,567"
std::string WithThousands(long long value);

std::vector<std::string> SplitString(std::string_view text, char separator);

// `text` fit to quote in a one-line message: bytes outside printable ASCII as
// \xNN, and at most `max_chars` of it, then "... (N more bytes)".
std::string Printable(std::string_view text, size_t max_chars = 80);

// nlohmann::json's exception text without its "[json.exception.parse_error.101] "
// tag, Printable (its messages quote what they read): "parse error at line 2, ...".
std::string JsonErrorReason(const char* what);

// True for a name that is safe as one path component: 1 to 255 characters,
// each a letter, digit, '_', '-' or '.', and not "." or "..". Job and device
// names are such names.
bool IsSafeName(std::string_view name);

// 64-bit FNV-1a of the bytes, as 16 hex digits: a stable fingerprint of a data
// file recorded next to what was made from it. Not for security.
std::string Fingerprint(std::string_view bytes);

}  // namespace edgenas
