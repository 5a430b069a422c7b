#include "sign/json_scan.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace isign::sign::detail {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

constexpr std::size_t kMaxDepth = 64;

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Validates with nlohmann's SAX parser (iterative, so hostile nesting cannot exhaust the stack)
// and bounds the nesting depth.
class Validator : public nlohmann::json_sax<nlohmann::json> {
public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    // nlohmann's message quotes input ("last read: ..."): keep it one short printable ASCII line.
    constexpr std::size_t kMaxMessage = 200;
    error = e.what();
    if (auto pos = error.find("] "); pos != std::string::npos)
      error = error.substr(pos + 2);
    if (error.size() > kMaxMessage)
      error = error.substr(0, kMaxMessage) + "...";
    for (char& c : error) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7f)
        c = '?';
    }
    return false;
  }
  std::string error;

private:
  bool enter() {
    if (++depth_ > kMaxDepth) {
      error = "nested more than " + std::to_string(kMaxDepth) + " levels deep";
      return false;
    }
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }
  std::size_t depth_ = 0;
};

} // namespace

Result<JsonText> JsonText::parse(std::string_view text) {
  // nlohmann skips a UTF-8 byte-order mark; Go's decoder (cosign, containers/image) rejects it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    return make_error(ErrorKind::registry, "invalid JSON: starts with a byte-order mark");
  // nlohmann's lexer stops at a NUL byte as at the end of input; JSON text never holds one.
  if (text.find('\0') != std::string_view::npos)
    return make_error(ErrorKind::registry, "invalid JSON: contains a NUL byte");
  Validator validator;
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(text.begin(), text.end(), &validator,
                                   nlohmann::json::input_format_t::json, true);
  } catch (const std::exception& e) {
    validator.error = e.what();
  }
  if (!ok) {
    std::string why = validator.error.empty() ? "not well formed" : validator.error;
    return make_error(ErrorKind::registry, "invalid JSON: " + why);
  }
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
  if (r.empty() || r.size() > 19)
    return std::nullopt;
  std::uint64_t v = 0;
  for (char c : r) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
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

} // namespace isign::sign::detail
