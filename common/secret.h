// Memory holding passwords or private key bytes is wiped before it is released.
#pragma once

#include <cstddef>
#include <string>

namespace isign::common {

// Overwrites the memory in a way the compiler cannot elide.
void secure_wipe(void* data, std::size_t size) noexcept;

// A std::string that wipes its buffer when destroyed or reassigned. Move-only.
class SecretString {
public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  SecretString(SecretString&& o) noexcept : s_(std::move(o.s_)) { o.wipe(); }
  SecretString& operator=(SecretString&& o) noexcept {
    if (this != &o) {
      wipe();
      s_ = std::move(o.s_);
      o.wipe();
    }
    return *this;
  }
  ~SecretString() { wipe(); }

  const std::string& str() const noexcept { return s_; }
  std::string& mut() noexcept { return s_; }
  std::size_t size() const noexcept { return s_.size(); }
  bool empty() const noexcept { return s_.empty(); }

  void wipe() noexcept {
    secure_wipe(s_.data(), s_.capacity());
    s_.clear();
  }

private:
  std::string s_;
};

} // namespace isign::common
