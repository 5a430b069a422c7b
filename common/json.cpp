#include "common/json.h"

#include <set>
#include <utility>
#include <vector>

namespace isign::common {

using nlohmann::json;

namespace {

// Builds the DOM from SAX events. Pointers on the stack stay valid: a container only grows while
// it is the innermost open one, and then nothing points into it.
class Builder : public nlohmann::json_sax<json> {
public:
  explicit Builder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() override { return add(json(nullptr)) != nullptr; }
  bool boolean(bool v) override { return add(json(v)) != nullptr; }
  bool number_integer(number_integer_t v) override { return add(json(v)) != nullptr; }
  bool number_unsigned(number_unsigned_t v) override { return add(json(v)) != nullptr; }
  bool number_float(number_float_t v, const string_t&) override { return add(json(v)) != nullptr; }
  bool string(string_t& v) override {
    // The lexer grows a long string by doubling: kept as it is, a payload of tens of MB would
    // hold up to twice its size.
    if (v.size() > (1u << 16) && v.capacity() > v.size() + v.size() / 4)
      v.shrink_to_fit();
    return add(json(std::move(v))) != nullptr;
  }
  bool binary(binary_t&) override {
    error = "binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    if (!keys_.back().insert(k).second) {
      error = "duplicate key " + quote_for_message(k);
      return false;
    }
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = json_parse_error_message(e);
    return false;
  }

  json root;
  std::string error;

private:
  json* add(json value) {
    if (stack_.empty()) {
      root = std::move(value);
      return &root;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(value));
      return &top->back();
    }
    json& slot = (*top)[pending_key_];
    slot = std::move(value);
    return &slot;
  }
  bool open(json container) {
    if (stack_.size() >= max_depth_) {
      error = "nested more than " + std::to_string(max_depth_) + " levels deep";
      return false;
    }
    stack_.push_back(add(std::move(container)));
    keys_.emplace_back();
    return true;
  }
  bool close() {
    stack_.pop_back();
    keys_.pop_back();
    return true;
  }

  std::size_t max_depth_;
  std::vector<json*> stack_;
  std::vector<std::set<std::string>> keys_;
  std::string pending_key_;
};

} // namespace

Result<json> parse_strict_json(std::string_view text, std::size_t max_depth) {
  // nlohmann skips a UTF-8 byte-order mark; Go's decoder rejects it.
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    return make_error(ErrorKind::verification, "starts with a byte-order mark");
  // nlohmann's lexer takes a NUL byte for the end of input, so "{...}\0anything" would parse as
  // "{...}". JSON text never holds a raw NUL (inside strings it is written \u0000).
  if (text.find('\0') != std::string_view::npos)
    return make_error(ErrorKind::verification, "contains a NUL byte (not JSON text)");
  Builder builder(max_depth);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, true);
  } catch (const std::exception& e) {
    builder.error = e.what();
  }
  if (!ok)
    return make_error(ErrorKind::verification,
                      builder.error.empty() ? std::string("not valid JSON") : builder.error);
  return std::move(builder.root);
}

std::string json_parse_error_message(const std::exception& e) {
  // nlohmann's messages start with "[json.exception.parse_error.101] parse error at line 1,
  // column 7: "; keep what follows the last ": " of that prefix for a shorter line.
  std::string what = e.what();
  if (auto pos = what.find("] "); pos != std::string::npos)
    what = what.substr(pos + 2);
  // The message quotes input ("last read: ..."): keep it one short printable ASCII line.
  constexpr std::size_t kMaxMessage = 200;
  if (what.size() > kMaxMessage)
    what = what.substr(0, kMaxMessage) + "...";
  for (char& c : what) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f)
      c = '?';
  }
  return what;
}

const char* json_type_name(const nlohmann::json& v) {
  switch (v.type()) {
  case nlohmann::json::value_t::null:
    return "null";
  case nlohmann::json::value_t::object:
    return "an object";
  case nlohmann::json::value_t::array:
    return "an array";
  case nlohmann::json::value_t::string:
    return "a string";
  case nlohmann::json::value_t::boolean:
    return "a boolean";
  case nlohmann::json::value_t::number_integer:
  case nlohmann::json::value_t::number_unsigned:
  case nlohmann::json::value_t::number_float:
    return "a number";
  default:
    return "not JSON";
  }
}

std::string quote_for_message(std::string_view s) {
  constexpr std::size_t kMaxShown = 100;
  std::string shown(s.substr(0, kMaxShown));
  std::string out = json(shown).dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kMaxShown)
    out += "...";
  return out;
}

} // namespace isign::common
