#include "cosign/json_scan.h"

#include <algorithm>
#include <limits>
#include <set>

#include "common/json.h"

namespace isign::cosign::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

} // namespace

Result<JsonText> JsonText::parse(std::string_view text) {
  // The one strict parser decides what is JSON; the DOM it builds is not needed here.
  if (auto valid = common::parse_strict_json(text); !valid)
    return make_error(ErrorKind::registry, valid.error().message());
  JsonText doc(text);
  std::size_t begin = doc.skip_ws(0);
  doc.root_ = Span{begin, doc.skip_value(begin)};
  return doc;
}

std::size_t JsonText::skip_ws(std::size_t pos) const {
  while (pos < text_.size() && is_ws(text_[pos]))
    ++pos;
  return pos;
}

// The text is known to be valid JSON, so a value ends at its matching bracket, its closing quote,
// or the first delimiter after a scalar.
std::size_t JsonText::skip_value(std::size_t pos) const {
  std::size_t depth = 0;
  while (pos < text_.size()) {
    char c = text_[pos];
    if (c == '"') {
      ++pos;
      while (text_[pos] != '"')
        pos += text_[pos] == '\\' ? 2 : 1;
      ++pos;
    } else if (c == '{' || c == '[') {
      ++depth;
      ++pos;
    } else if (c == '}' || c == ']') {
      --depth;
      ++pos;
    } else if (depth == 0) {
      while (pos < text_.size() && text_[pos] != ',' && text_[pos] != '}' && text_[pos] != ']' &&
             !is_ws(text_[pos]))
        ++pos;
      return pos;
    } else {
      ++pos;
    }
    if (depth == 0)
      return pos;
  }
  return pos;
}

JsonType JsonText::type(Span s) const {
  switch (text_[s.begin]) {
  case '{':
    return JsonType::object;
  case '[':
    return JsonType::array;
  case '"':
    return JsonType::string;
  case 't':
  case 'f':
    return JsonType::boolean;
  case 'n':
    return JsonType::null;
  default:
    return JsonType::number;
  }
}

bool JsonText::empty_container(Span s) const {
  return skip_ws(s.begin + 1) == s.end - 1;
}

Result<std::vector<Member>> JsonText::members(Span object) const {
  std::vector<Member> out;
  std::set<std::string> seen;
  std::size_t pos = skip_ws(object.begin + 1);
  while (text_[pos] != '}') {
    std::size_t key_end = skip_value(pos);
    auto key = string_value(Span{pos, key_end});
    pos = skip_ws(key_end);
    pos = skip_ws(pos + 1); // ':'
    std::size_t value_end = skip_value(pos);
    if (!seen.insert(*key).second)
      return make_error(ErrorKind::registry, "duplicate key \"" + *key + "\"");
    out.push_back(Member{std::move(*key), Span{pos, value_end}});
    pos = skip_ws(value_end);
    if (text_[pos] == ',')
      pos = skip_ws(pos + 1);
  }
  return out;
}

std::vector<Span> JsonText::elements(Span array) const {
  std::vector<Span> out;
  std::size_t pos = skip_ws(array.begin + 1);
  while (text_[pos] != ']') {
    std::size_t end = skip_value(pos);
    out.push_back(Span{pos, end});
    pos = skip_ws(end);
    if (text_[pos] == ',')
      pos = skip_ws(pos + 1);
  }
  return out;
}

std::optional<Span> JsonText::find(const std::vector<Member>& members, std::string_view key) const {
  for (const auto& m : members)
    if (m.key == key)
      return m.value;
  return std::nullopt;
}

std::optional<std::string> JsonText::string_value(Span s) const {
  if (type(s) != JsonType::string)
    return std::nullopt;
  std::string_view raw_text = raw(s);
  // Fast path: no escapes.
  if (raw_text.find('\\') == std::string_view::npos)
    return std::string(raw_text.substr(1, raw_text.size() - 2));
  auto decoded = nlohmann::json::parse(raw_text, nullptr, false);
  if (!decoded.is_string())
    return std::nullopt;
  return decoded.get<std::string>();
}

std::optional<std::uint64_t> JsonText::uint_value(Span s) const {
  std::string_view r = raw(s);
  if (r.empty())
    return std::nullopt;
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t v = 0;
  for (char c : r) {
    if (c < '0' || c > '9')
      return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (kMax - digit) / 10) // beyond uint64, as a JSON decoder into uint64 refuses it
      return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

std::string apply_edits(std::string_view text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin < b.begin; });
  std::string out;
  out.reserve(text.size() + 512);
  std::size_t pos = 0;
  for (const auto& e : edits) {
    out.append(text.substr(pos, e.begin - pos));
    out += e.text;
    pos = e.end;
  }
  out.append(text.substr(pos));
  return out;
}

} // namespace isign::cosign::detail
