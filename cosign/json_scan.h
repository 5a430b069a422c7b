// Internal to cosign/: locating values inside JSON text by byte offsets, so that a document written
// by another tool can be edited in place (a value replaced, an array element appended) while every
// other byte stays as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace isign::cosign::detail {

// A value's text: [begin, end) in the document.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

enum class JsonType { object, array, string, number, boolean, null };

struct Member {
  std::string key; // decoded
  Span value;
};

// A document accepted by validate_json. Every function below expects spans that came from it.
class JsonText {
public:
  // Checks that text is JSON common::parse_strict_json accepts (one well-formed value, UTF-8, no
  // byte-order mark, NUL or duplicate key, nesting at most 64 deep) and returns it. Registry
  // error saying what is wrong (e.g. "duplicate key \"layers\"").
  static common::Result<JsonText> parse(std::string_view text);

  std::string_view text() const { return text_; }
  Span root() const { return root_; }
  std::string_view raw(Span s) const { return text_.substr(s.begin, s.end - s.begin); }
  JsonType type(Span s) const;

  // The members of an object in document order; error on a duplicate key.
  common::Result<std::vector<Member>> members(Span object) const;
  // The elements of an array in document order.
  std::vector<Span> elements(Span array) const;
  // The first member named key, if any.
  std::optional<Span> find(const std::vector<Member>& members, std::string_view key) const;

  // A string value decoded; nullopt when s is not a string.
  std::optional<std::string> string_value(Span s) const;
  // A non-negative integer written without fraction or exponent; nullopt otherwise.
  std::optional<std::uint64_t> uint_value(Span s) const;

  // Where the closing bracket of an object or array is (the offset of '}' or ']').
  std::size_t closing(Span s) const { return s.end - 1; }
  // True when the object or array has no members/elements.
  bool empty_container(Span s) const;

private:
  explicit JsonText(std::string_view text) : text_(text) {}
  std::size_t skip_ws(std::size_t pos) const;
  std::size_t skip_value(std::size_t pos) const;

  std::string_view text_;
  Span root_;
};

// One in-place edit: replace [begin, end) with text (begin == end inserts).
struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string text;
};

// Applies non-overlapping edits to text.
std::string apply_edits(std::string_view text, std::vector<Edit> edits);

} // namespace isign::cosign::detail
